using Edge.Agent.Interop.Linux;
using static Edge.Agent.Interop.Linux.GpioUapi;

namespace Edge.Agent.Devices.Linux;

/// <summary>
/// A GPIO chip through the character device uAPI v2 (/dev/gpiochipN, kernel >= 5.10). Each requested line is its own
/// kernel line request with its own fd; edge events carry the kernel's CLOCK_MONOTONIC timestamps.
/// </summary>
public sealed class LinuxGpioChip : IGpioChip, IGpioClock
{
    private readonly SafeFileDescriptor _fd;

    /// <summary>Opens <paramref name="devicePath"/> (e.g. /dev/gpiochip0) and reads its name and line count.</summary>
    public LinuxGpioChip(string devicePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(devicePath);
        DevicePath = devicePath;
        _fd = LinuxDeviceFile.Open(devicePath);
        try
        {
            var info = new gpiochip_info();
            LinuxDeviceFile.Ioctl(_fd, GPIO_GET_CHIPINFO_IOCTL, ref info, devicePath, "GPIO_GET_CHIPINFO");
            Name = info.name.ToString();
            Label = info.label.ToString();
            LineCount = (int)info.lines;
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    /// <summary>Opens /dev/gpiochip<paramref name="number"/>.</summary>
    public static LinuxGpioChip Open(int number) => new($"/dev/gpiochip{number}");

    public string DevicePath { get; }
    /// <summary>The kernel's name for the chip (gpiochip0).</summary>
    public string Name { get; }
    /// <summary>The driver's label (pinctrl-bcm2711, pinctrl-rp1, tegra234-gpio).</summary>
    public string Label { get; }
    public int LineCount { get; }
    public long NowNs => LinuxDeviceFile.MonotonicNowNs();

    public IGpioOutput RequestOutput(int offset, bool initialValue, string consumer)
    {
        var request = NewRequest(offset, consumer, GPIO_V2_LINE_FLAG_OUTPUT);
        request.config.num_attrs = 1;
        request.config.attrs[0] = new gpio_v2_line_config_attribute
        {
            attr = new gpio_v2_line_attribute { id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES, values = initialValue ? 1UL : 0UL },
            mask = 1,
        };
        var fd = Request(ref request, offset);
        return new LinuxGpioOutput(fd, offset, initialValue, LinePath(offset));
    }

    public IGpioInput RequestInput(int offset, GpioInputOptions options, string consumer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ulong flags = GPIO_V2_LINE_FLAG_INPUT;
        if (options.ActiveLow) flags |= GPIO_V2_LINE_FLAG_ACTIVE_LOW;
        if (options.Edges.HasFlag(GpioEdges.Rising)) flags |= GPIO_V2_LINE_FLAG_EDGE_RISING;
        if (options.Edges.HasFlag(GpioEdges.Falling)) flags |= GPIO_V2_LINE_FLAG_EDGE_FALLING;
        flags |= options.Bias switch
        {
            GpioBias.PullUp => GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
            GpioBias.PullDown => GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
            GpioBias.Disabled => GPIO_V2_LINE_FLAG_BIAS_DISABLED,
            _ => 0UL,
        };
        var request = NewRequest(offset, consumer, flags);
        if (options.Debounce > TimeSpan.Zero)
        {
            long us = (long)Math.Ceiling(options.Debounce.TotalMicroseconds);
            if (us > uint.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(options), options.Debounce, "Debounce must fit in 32-bit microseconds");
            request.config.num_attrs = 1;
            request.config.attrs[0] = new gpio_v2_line_config_attribute
            {
                attr = new gpio_v2_line_attribute { id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE, debounce_period_us = (uint)us },
                mask = 1,
            };
        }
        var fd = Request(ref request, offset);
        return new LinuxGpioInput(fd, offset, options.Edges, LinePath(offset));
    }

    public void WaitUntil(long ns) => MonotonicGpioClock.Monotonic.WaitUntil(ns);

    public IDisposable Schedule(long atNs, Action action) => MonotonicGpioClock.Monotonic.Schedule(atNs, action);
    public GpioTimer CreateTimer(Action action) => MonotonicGpioClock.Monotonic.CreateTimer(action);

    public void Dispose() => _fd.Dispose(); // line requests hold their own fds and stay valid

    private gpio_v2_line_request NewRequest(int offset, string consumer, ulong flags)
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        if ((uint)offset >= (uint)LineCount)
            throw new DeviceException($"{DevicePath}: line {offset} does not exist: the chip has lines 0..{LineCount - 1} (EINVAL)");
        var request = new gpio_v2_line_request { num_lines = 1 };
        request.offsets[0] = (uint)offset;
        request.consumer = GpioName.From(consumer ?? "edge");
        request.config.flags = flags;
        return request;
    }

    private SafeFileDescriptor Request(ref gpio_v2_line_request request, int offset)
    {
        LinuxDeviceFile.Ioctl(_fd, GPIO_V2_GET_LINE_IOCTL, ref request, DevicePath, $"GPIO_V2_GET_LINE (line {offset})");
        return new SafeFileDescriptor(request.fd);
    }

    private string LinePath(int offset) => $"{DevicePath} line {offset}";
}

internal sealed class LinuxGpioOutput(SafeFileDescriptor fd, int offset, bool initialValue, string path) : IGpioOutput
{
    private bool _value = initialValue;

    public int Offset => offset;
    public bool Value => _value;

    public void Write(bool value)
    {
        var values = new gpio_v2_line_values { bits = value ? 1UL : 0UL, mask = 1 };
        LinuxDeviceFile.Ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, ref values, path, "GPIO_V2_LINE_SET_VALUES");
        _value = value;
    }

    public void Dispose() => fd.Dispose();
}

internal sealed class LinuxGpioInput(SafeFileDescriptor fd, int offset, GpioEdges edges, string path) : IGpioInput
{
    public int Offset => offset;

    public bool Read()
    {
        var values = new gpio_v2_line_values { mask = 1 };
        LinuxDeviceFile.Ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, ref values, path, "GPIO_V2_LINE_GET_VALUES");
        return (values.bits & 1) != 0;
    }

    public bool TryReadEdge(TimeSpan timeout, out GpioEdgeEvent edge)
    {
        if (edges == GpioEdges.None)
            throw new InvalidOperationException($"{path} was requested without edge detection (GpioInputOptions.Edges = None)");
        edge = default;
        if (!LinuxDeviceFile.WaitReadable(fd, timeout, path)) return false;
        var e = LinuxDeviceFile.ReadStruct<gpio_v2_line_event>(fd, path, "read gpio_v2_line_event");
        // With ACTIVE_LOW the kernel already reports logical edges.
        var kind = e.id == GPIO_V2_LINE_EVENT_RISING_EDGE ? GpioEdges.Rising : GpioEdges.Falling;
        edge = new GpioEdgeEvent((int)e.offset, kind, (long)e.timestamp_ns, e.line_seqno);
        return true;
    }

    public void Dispose() => fd.Dispose();
}
