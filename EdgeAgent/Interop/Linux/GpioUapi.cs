using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Edge.Agent.Interop.Linux;

// The GPIO character device uAPI v2 (<linux/gpio.h>, kernel >= 5.10), field for field. Fixed-size C arrays are
// [InlineArray] structs so callers index them without unsafe code. Sizes are checked against the header by tests.
#pragma warning disable IDE1006 // C names kept so the structs can be compared with the header line by line

internal static class GpioUapi
{
    public const int GPIO_MAX_NAME_SIZE = 32;
    public const int GPIO_V2_LINES_MAX = 64;
    public const int GPIO_V2_LINE_NUM_ATTRS_MAX = 10;

    // enum gpio_v2_line_flag
    public const ulong GPIO_V2_LINE_FLAG_USED = 1UL << 0;
    public const ulong GPIO_V2_LINE_FLAG_ACTIVE_LOW = 1UL << 1;
    public const ulong GPIO_V2_LINE_FLAG_INPUT = 1UL << 2;
    public const ulong GPIO_V2_LINE_FLAG_OUTPUT = 1UL << 3;
    public const ulong GPIO_V2_LINE_FLAG_EDGE_RISING = 1UL << 4;
    public const ulong GPIO_V2_LINE_FLAG_EDGE_FALLING = 1UL << 5;
    public const ulong GPIO_V2_LINE_FLAG_OPEN_DRAIN = 1UL << 6;
    public const ulong GPIO_V2_LINE_FLAG_OPEN_SOURCE = 1UL << 7;
    public const ulong GPIO_V2_LINE_FLAG_BIAS_PULL_UP = 1UL << 8;
    public const ulong GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN = 1UL << 9;
    public const ulong GPIO_V2_LINE_FLAG_BIAS_DISABLED = 1UL << 10;
    // Edge events are stamped with CLOCK_MONOTONIC unless one of these is set; we never set them.
    public const ulong GPIO_V2_LINE_FLAG_EVENT_CLOCK_REALTIME = 1UL << 11;
    public const ulong GPIO_V2_LINE_FLAG_EVENT_CLOCK_HTE = 1UL << 12;

    // enum gpio_v2_line_attr_id
    public const uint GPIO_V2_LINE_ATTR_ID_FLAGS = 1;
    public const uint GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES = 2;
    public const uint GPIO_V2_LINE_ATTR_ID_DEBOUNCE = 3;

    // enum gpio_v2_line_event_id
    public const uint GPIO_V2_LINE_EVENT_RISING_EDGE = 1;
    public const uint GPIO_V2_LINE_EVENT_FALLING_EDGE = 2;

    private const uint GpioMagic = 0xB4;

    /// <summary>_IOR(0xB4, 0x01, struct gpiochip_info)</summary>
    public static readonly nuint GPIO_GET_CHIPINFO_IOCTL = Ioctl.IOR(GpioMagic, 0x01, Unsafe.SizeOf<gpiochip_info>());
    /// <summary>_IOWR(0xB4, 0x07, struct gpio_v2_line_request)</summary>
    public static readonly nuint GPIO_V2_GET_LINE_IOCTL = Ioctl.IOWR(GpioMagic, 0x07, Unsafe.SizeOf<gpio_v2_line_request>());
    /// <summary>_IOWR(0xB4, 0x0D, struct gpio_v2_line_config)</summary>
    public static readonly nuint GPIO_V2_LINE_SET_CONFIG_IOCTL = Ioctl.IOWR(GpioMagic, 0x0D, Unsafe.SizeOf<gpio_v2_line_config>());
    /// <summary>_IOWR(0xB4, 0x0E, struct gpio_v2_line_values)</summary>
    public static readonly nuint GPIO_V2_LINE_GET_VALUES_IOCTL = Ioctl.IOWR(GpioMagic, 0x0E, Unsafe.SizeOf<gpio_v2_line_values>());
    /// <summary>_IOWR(0xB4, 0x0F, struct gpio_v2_line_values)</summary>
    public static readonly nuint GPIO_V2_LINE_SET_VALUES_IOCTL = Ioctl.IOWR(GpioMagic, 0x0F, Unsafe.SizeOf<gpio_v2_line_values>());
}

/// <summary>char[GPIO_MAX_NAME_SIZE], NUL-terminated.</summary>
[InlineArray(GpioUapi.GPIO_MAX_NAME_SIZE)]
internal struct GpioName
{
    private byte _element0;

    public override readonly string ToString()
    {
        ReadOnlySpan<byte> bytes = this;
        int end = bytes.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    /// <summary>Copies <paramref name="text"/> in as UTF-8, truncated so the terminating NUL always fits.</summary>
    public static GpioName From(string text)
    {
        var name = new GpioName();
        Span<byte> bytes = name;
        int written = System.Text.Encoding.UTF8.GetBytes(text.AsSpan(0, Math.Min(text.Length, bytes.Length - 1)), bytes[..^1]);
        _ = written;
        return name;
    }
}

[InlineArray(GpioUapi.GPIO_V2_LINES_MAX)]
internal struct GpioLineOffsets { private uint _element0; }

[InlineArray(5)]
internal struct GpioPadding5 { private uint _element0; }

[InlineArray(6)]
internal struct GpioPadding6 { private uint _element0; }

[InlineArray(GpioUapi.GPIO_V2_LINE_NUM_ATTRS_MAX)]
internal struct GpioConfigAttributes { private gpio_v2_line_config_attribute _element0; }

/// <summary>struct gpiochip_info (68 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct gpiochip_info
{
    public GpioName name;
    public GpioName label;
    public uint lines;
}

/// <summary>struct gpio_v2_line_values (16 bytes): bit i of each mask is line i of the request.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct gpio_v2_line_values
{
    public ulong bits;
    public ulong mask;
}

/// <summary>struct gpio_v2_line_attribute (16 bytes): id, padding, then a union of flags / values / debounce_period_us.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct gpio_v2_line_attribute
{
    [FieldOffset(0)] public uint id;
    [FieldOffset(4)] public uint padding;
    [FieldOffset(8)] public ulong flags;
    [FieldOffset(8)] public ulong values;
    [FieldOffset(8)] public uint debounce_period_us;
}

/// <summary>struct gpio_v2_line_config_attribute (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct gpio_v2_line_config_attribute
{
    public gpio_v2_line_attribute attr;
    public ulong mask;
}

/// <summary>struct gpio_v2_line_config (272 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct gpio_v2_line_config
{
    public ulong flags;
    public uint num_attrs;
    public GpioPadding5 padding;
    public GpioConfigAttributes attrs;
}

/// <summary>struct gpio_v2_line_request (592 bytes); the kernel fills <see cref="fd"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct gpio_v2_line_request
{
    public GpioLineOffsets offsets;
    public GpioName consumer;
    public gpio_v2_line_config config;
    public uint num_lines;
    public uint event_buffer_size;
    public GpioPadding5 padding;
    public int fd;
}

/// <summary>struct gpio_v2_line_event (48 bytes), read from a line request fd.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct gpio_v2_line_event
{
    public ulong timestamp_ns;
    public uint id;
    public uint offset;
    public uint seqno;
    public uint line_seqno;
    public GpioPadding6 padding;
}
