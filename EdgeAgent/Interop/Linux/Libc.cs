using System.Runtime.InteropServices;

namespace Edge.Agent.Interop.Linux;

#pragma warning disable CS8981 // struct pollfd and struct timespec keep their C names

/// <summary>
/// The raw libc calls the GPIO, SPI and I2C bindings need, C prototypes beside each. Nothing outside
/// Interop/Linux calls these: <see cref="LinuxDeviceFile"/> wraps them and routes every failure through
/// <see cref="LinuxDeviceError"/>.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    public const int O_RDWR = 0x2;
    public const int O_CLOEXEC = 0x80000; // 02000000 on arm, arm64 and x86 alike

    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    public const int CLOCK_MONOTONIC = 1;

    public const int EINTR = 4;
    public const int EAGAIN = 11;

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct pollfd
    {
        public int fd;
        public short events;
        public short revents;
    }

    /// <summary>struct timespec (time_t and long are the pointer size on the 64-bit targets).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct timespec
    {
        public nint tv_sec;
        public nint tv_nsec;
    }

    // int open(const char *pathname, int flags);
    // Returns int, not a SafeHandle: the marshaller would read -1 as the pointer-sized 0xFFFFFFFF and call it valid.
    [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int open(string pathname, int flags);

    // int close(int fd);
    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int close(int fd);

    // SafeFileDescriptor arguments travel as pointer-sized values; the callee reads the low 32 bits as its int fd.
    // int ioctl(int fd, unsigned long request, void *arg);  (variadic in C; the third argument is passed in a register on every Linux ABI we target)
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(SafeFileDescriptor fd, nuint request, void* arg);

    // int ioctl(int fd, unsigned long request, unsigned long arg);  (I2C_SLAVE takes the address by value)
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(SafeFileDescriptor fd, nuint request, nuint arg);

    // ssize_t read(int fd, void *buf, size_t count);
    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint read(SafeFileDescriptor fd, void* buf, nuint count);

    // int poll(struct pollfd *fds, nfds_t nfds, int timeout);
    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int poll(pollfd* fds, nuint nfds, int timeout);

    // int clock_gettime(clockid_t clockid, struct timespec *tp);
    [LibraryImport(Library, EntryPoint = "clock_gettime", SetLastError = true)]
    public static partial int clock_gettime(int clockid, timespec* tp);
}
