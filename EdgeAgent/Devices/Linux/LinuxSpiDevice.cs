using Edge.Agent.Interop.Linux;
using static Edge.Agent.Interop.Linux.SpiDevUapi;

namespace Edge.Agent.Devices.Linux;

/// <summary>
/// An SPI device through spidev (/dev/spidevB.C). Transfers longer than spidev's buffer (4096 bytes by default) are
/// sent as consecutive messages; chip select is released between them, which command/data displays tolerate.
/// </summary>
public sealed class LinuxSpiDevice : ISpiDevice
{
    private readonly SafeFileDescriptor _fd;
    private readonly byte _bitsPerWord;
    private readonly int _chunk;

    /// <summary>Opens <paramref name="devicePath"/> and sets mode (0–3), bits per word and the clock.</summary>
    public LinuxSpiDevice(string devicePath, int speedHz = 1_000_000, int mode = 0, int bitsPerWord = 8)
    {
        ArgumentException.ThrowIfNullOrEmpty(devicePath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(speedHz);
        if (mode is < 0 or > 3) throw new ArgumentOutOfRangeException(nameof(mode), mode, "SPI mode must be 0, 1, 2 or 3");
        if (bitsPerWord is < 1 or > 32) throw new ArgumentOutOfRangeException(nameof(bitsPerWord), bitsPerWord, "bits per word must be 1..32");
        DevicePath = devicePath;
        SpeedHz = speedHz;
        Mode = mode;
        _bitsPerWord = (byte)bitsPerWord;
        _chunk = BufferSize();
        _fd = LinuxDeviceFile.Open(devicePath);
        try
        {
            byte m = (byte)mode;
            LinuxDeviceFile.Ioctl(_fd, SPI_IOC_WR_MODE, ref m, devicePath, "SPI_IOC_WR_MODE");
            byte bits = _bitsPerWord;
            LinuxDeviceFile.Ioctl(_fd, SPI_IOC_WR_BITS_PER_WORD, ref bits, devicePath, "SPI_IOC_WR_BITS_PER_WORD");
            uint speed = (uint)speedHz;
            LinuxDeviceFile.Ioctl(_fd, SPI_IOC_WR_MAX_SPEED_HZ, ref speed, devicePath, "SPI_IOC_WR_MAX_SPEED_HZ");
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    /// <summary>Opens /dev/spidev<paramref name="bus"/>.<paramref name="chipSelect"/>.</summary>
    public static LinuxSpiDevice Open(int bus, int chipSelect, int speedHz = 1_000_000, int mode = 0) =>
        new($"/dev/spidev{bus}.{chipSelect}", speedHz, mode);

    public string DevicePath { get; }
    public int SpeedHz { get; }
    public int Mode { get; }

    public void Write(ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i += _chunk)
            LinuxDeviceFile.SpiTransfer(_fd, data.Slice(i, Math.Min(_chunk, data.Length - i)), [], (uint)SpeedHz, _bitsPerWord, DevicePath);
    }

    public void Transfer(ReadOnlySpan<byte> tx, Span<byte> rx)
    {
        if (tx.Length != rx.Length)
            throw new ArgumentException($"SPI is full duplex: tx ({tx.Length} bytes) and rx ({rx.Length} bytes) must be the same length", nameof(rx));
        for (int i = 0; i < tx.Length; i += _chunk)
        {
            int n = Math.Min(_chunk, tx.Length - i);
            LinuxDeviceFile.SpiTransfer(_fd, tx.Slice(i, n), rx.Slice(i, n), (uint)SpeedHz, _bitsPerWord, DevicePath);
        }
    }

    public void Dispose() => _fd.Dispose();

    // spidev refuses messages over its bufsiz module parameter with EMSGSIZE.
    private static int BufferSize()
    {
        try
        {
            string text = File.ReadAllText("/sys/module/spidev/parameters/bufsiz").Trim();
            return int.TryParse(text, out int n) && n > 0 ? n : DefaultBufferSize;
        }
        catch (IOException) { return DefaultBufferSize; }
        catch (UnauthorizedAccessException) { return DefaultBufferSize; }
    }
}
