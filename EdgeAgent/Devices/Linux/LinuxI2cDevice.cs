using Edge.Agent.Interop.Linux;
using static Edge.Agent.Interop.Linux.I2cDevUapi;

namespace Edge.Agent.Devices.Linux;

/// <summary>
/// A device at one 7-bit address on an I2C bus through i2c-dev (/dev/i2c-N). Every transfer is one I2C_RDWR
/// transaction, so <see cref="WriteRead"/> is a register read with a repeated START, as datasheets expect.
/// </summary>
public sealed class LinuxI2cDevice : II2cDevice
{
    private readonly SafeFileDescriptor _fd;

    /// <summary>Opens <paramref name="devicePath"/> and claims <paramref name="address"/> (fails if a kernel driver owns it).</summary>
    public LinuxI2cDevice(string devicePath, int address)
    {
        ArgumentException.ThrowIfNullOrEmpty(devicePath);
        if (address is < 0x03 or > 0x77)
            throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:X2}", "a 7-bit I2C address is 0x03..0x77");
        DevicePath = devicePath;
        Address = address;
        _fd = LinuxDeviceFile.Open(devicePath);
        try
        {
            LinuxDeviceFile.IoctlValue(_fd, I2C_SLAVE, (nuint)address, devicePath, $"I2C_SLAVE 0x{address:X2}");
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    /// <summary>Opens /dev/i2c-<paramref name="bus"/> at <paramref name="address"/>.</summary>
    public static LinuxI2cDevice Open(int bus, int address) => new($"/dev/i2c-{bus}", address);

    public string DevicePath { get; }
    public int Address { get; }

    public void Write(ReadOnlySpan<byte> data)
    {
        CheckLength(data.Length, nameof(data));
        if (data.IsEmpty) return;
        LinuxDeviceFile.I2cTransfer(_fd, (ushort)Address, data, [], DevicePath);
    }

    public void Read(Span<byte> data)
    {
        CheckLength(data.Length, nameof(data));
        if (data.IsEmpty) return;
        LinuxDeviceFile.I2cTransfer(_fd, (ushort)Address, [], data, DevicePath);
    }

    public void WriteRead(ReadOnlySpan<byte> write, Span<byte> read)
    {
        CheckLength(write.Length, nameof(write));
        CheckLength(read.Length, nameof(read));
        if (write.IsEmpty && read.IsEmpty) return;
        LinuxDeviceFile.I2cTransfer(_fd, (ushort)Address, write, read, DevicePath);
    }

    public void Dispose() => _fd.Dispose();

    private static void CheckLength(int length, string name)
    {
        if (length > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(name, length, "an I2C segment carries at most 65535 bytes (i2c_msg.len is 16-bit)");
    }
}
