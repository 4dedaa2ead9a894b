using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Edge.Agent.Interop.Linux;

#pragma warning disable IDE1006 // C names, as in <linux/spi/spidev.h>

internal static class SpiDevUapi
{
    private const uint SPI_IOC_MAGIC = (byte)'k';

    /// <summary>SPI_IOC_MESSAGE(1) = _IOW('k', 0, char[SPI_MSGSIZE(1)]).</summary>
    public static readonly nuint SPI_IOC_MESSAGE_1 = Ioctl.IOW(SPI_IOC_MAGIC, 0, Unsafe.SizeOf<spi_ioc_transfer>());
    /// <summary>_IOW('k', 1, __u8)</summary>
    public static readonly nuint SPI_IOC_WR_MODE = Ioctl.IOW(SPI_IOC_MAGIC, 1, sizeof(byte));
    /// <summary>_IOW('k', 3, __u8)</summary>
    public static readonly nuint SPI_IOC_WR_BITS_PER_WORD = Ioctl.IOW(SPI_IOC_MAGIC, 3, sizeof(byte));
    /// <summary>_IOW('k', 4, __u32)</summary>
    public static readonly nuint SPI_IOC_WR_MAX_SPEED_HZ = Ioctl.IOW(SPI_IOC_MAGIC, 4, sizeof(uint));

    /// <summary>spidev's default transfer buffer (module parameter bufsiz); larger messages fail with EMSGSIZE.</summary>
    public const int DefaultBufferSize = 4096;
}

/// <summary>struct spi_ioc_transfer (32 bytes; the same layout in 32- and 64-bit user space).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct spi_ioc_transfer
{
    public ulong tx_buf;
    public ulong rx_buf;
    public uint len;
    public uint speed_hz;
    public ushort delay_usecs;
    public byte bits_per_word;
    public byte cs_change;
    public byte tx_nbits;
    public byte rx_nbits;
    public byte word_delay_usecs;
    public byte pad;
}
