using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Edge.Agent.Devices;

namespace Edge.Agent.Interop.Linux;

/// <summary>
/// The one error path of the Linux bus bindings: errno becomes a <see cref="DeviceException"/> that names the device
/// path, the operation, strerror and what to do about it.
/// </summary>
internal static class LinuxDeviceError
{
    // Linux errno values (asm-generic, shared by arm, arm64 and x86).
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, EAGAIN = 11, EACCES = 13, EBUSY = 16,
        ENODEV = 19, EINVAL = 22, ENOTTY = 25, EMSGSIZE = 90, EOPNOTSUPP = 95, ETIMEDOUT = 110, EREMOTEIO = 121;

    /// <summary>Throws for the errno of the last failed libc call.</summary>
    [DoesNotReturn]
    public static void ThrowLast(string path, string operation) => Throw(path, operation, Marshal.GetLastPInvokeError());

    [DoesNotReturn]
    public static void Throw(string path, string operation, int errno) => throw Create(path, operation, errno);

    public static DeviceException Create(string path, string operation, int errno)
    {
        string text = Marshal.GetPInvokeErrorMessage(errno);
        string? hint = Hint(path, errno);
        return new DeviceException($"{path}: {operation} failed: {text} (errno {errno}){(hint is null ? "" : $"; {hint}")}");
    }

    /// <summary>What usually causes <paramref name="errno"/> on a GPIO, SPI or I2C device node, and the fix.</summary>
    public static string? Hint(string path, int errno) => errno switch
    {
        ENOENT or ENODEV => "no such device: is the overlay enabled (dtparam/dtoverlay in config.txt) / is the sensor wired?",
        EACCES or EPERM => $"permission denied: add the user to the {Group(path)} group (sudo usermod -aG {Group(path)} $USER) and log in again",
        EBUSY => "in use: another process or a kernel driver holds this line or address (gpioinfo / i2cdetect show who)",
        EINVAL => "the kernel rejected the request: check the line offset, flags and values against the chip",
        ENOTTY => "not the expected kind of device node: check the path",
        ENXIO or EREMOTEIO => "no device acknowledged: check the address, wiring and pull-ups",
        ETIMEDOUT => "the bus timed out: check wiring, pull-ups and the clock speed",
        EMSGSIZE => "transfer larger than spidev's buffer: raise spidev.bufsiz or send smaller chunks",
        EOPNOTSUPP => "this chip or driver does not support the requested setting (e.g. bias or debounce)",
        _ => null,
    };

    private static string Group(string path) =>
        path.Contains("spidev", StringComparison.Ordinal) ? "spi"
        : path.Contains("i2c", StringComparison.Ordinal) ? "i2c"
        : "gpio";
}
