using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Edge.Agent.Interop.Linux;

// Raw libc bindings for serial ports and pseudo-terminals. Layout and constants are those of
// glibc on Linux (identical on x86_64 and aarch64). Only this file sees file descriptors as ints.

/// <summary>struct termios (glibc): 4 flag words, c_line, NCCS=32 control chars, then the speeds.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TermiosStruct
{
    public uint c_iflag;   // tcflag_t
    public uint c_oflag;   // tcflag_t
    public uint c_cflag;   // tcflag_t
    public uint c_lflag;   // tcflag_t
    public byte c_line;    // cc_t
    public fixed byte c_cc[32]; // cc_t[NCCS]
    public uint c_ispeed;  // speed_t
    public uint c_ospeed;  // speed_t
}

[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int fd;
    public short events;
    public short revents;
}

/// <summary>An owned tty or pty file descriptor, closed with close(2).</summary>
internal sealed class TtyHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public TtyHandle() : base(ownsHandle: true) { }
    public TtyHandle(int fd) : base(ownsHandle: true) => SetHandle(fd);
    public override bool IsInvalid => handle == -1;
    protected override bool ReleaseHandle() => Termios.close((int)handle) == 0;
}

internal static partial class Termios
{
    private const string Libc = "libc";

    // fcntl.h
    public const int O_RDWR = 0x0002;
    public const int O_NOCTTY = 0x0100;
    public const int O_NONBLOCK = 0x0800;
    public const int O_CLOEXEC = 0x80000;

    // termios.h (c_cflag bits, c_cc indices, actions)
    public const uint CSIZE = 0x30, CS8 = 0x30, CSTOPB = 0x40, CREAD = 0x80, PARENB = 0x100, CLOCAL = 0x800, CRTSCTS = 0x80000000;
    public const int VTIME = 5, VMIN = 6;
    public const int TCSANOW = 0;
    public const int TCIOFLUSH = 2;

    // poll.h
    public const short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;

    // errno.h
    public const int EINTR = 4, EAGAIN = 11, ENOENT = 2, EACCES = 13;

    /// <summary>The Bxxx speed_t constant for a baud rate, or 0 when the rate is not a standard one.</summary>
    public static uint SpeedConstant(int baud) => baud switch
    {
        1200 => 0x9,
        2400 => 0xB,
        4800 => 0xC,
        9600 => 0xD,
        19200 => 0xE,
        38400 => 0xF,
        57600 => 0x1001,
        115200 => 0x1002,
        230400 => 0x1003,
        _ => 0,
    };

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int open(string path /* const char* */, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static unsafe partial nint read(SafeHandle fd, byte* buf /* void* */, nuint count /* size_t */);

    [LibraryImport(Libc, SetLastError = true)]
    public static unsafe partial nint write(SafeHandle fd, byte* buf /* const void* */, nuint count /* size_t */);

    [LibraryImport(Libc, SetLastError = true)]
    public static unsafe partial int poll(PollFd* fds /* struct pollfd* */, nuint nfds /* nfds_t */, int timeoutMs);

    [LibraryImport(Libc, SetLastError = true)]
    public static unsafe partial int tcgetattr(SafeHandle fd, TermiosStruct* termios);

    [LibraryImport(Libc, SetLastError = true)]
    public static unsafe partial int tcsetattr(SafeHandle fd, int optionalActions, TermiosStruct* termios /* const struct termios* */);

    [LibraryImport(Libc)]
    public static unsafe partial void cfmakeraw(TermiosStruct* termios);

    [LibraryImport(Libc, SetLastError = true)]
    public static unsafe partial int cfsetspeed(TermiosStruct* termios, uint speed /* speed_t */);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int tcflush(SafeHandle fd, int queueSelector);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int tcdrain(SafeHandle fd);

    // Pseudo-terminals: the tests drive a SerialChannel through the slave side of a pty.
    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_openpt(int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int grantpt(SafeHandle masterFd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int unlockpt(SafeHandle masterFd);

    [LibraryImport(Libc, SetLastError = true)]
    public static unsafe partial int ptsname_r(SafeHandle masterFd, byte* buf /* char* */, nuint buflen /* size_t */);

    // Safe wrappers: callers pass spans and get errno back, never a pointer.

    /// <summary>read(2) into <paramref name="buffer"/>; bytes read, or -1 with <paramref name="errno"/>.</summary>
    public static unsafe int Read(SafeHandle fd, Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            nint n = read(fd, p, (nuint)buffer.Length);
            errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)n;
        }
    }

    /// <summary>write(2) from <paramref name="data"/>; bytes written, or -1 with <paramref name="errno"/>.</summary>
    public static unsafe int Write(SafeHandle fd, ReadOnlySpan<byte> data, out int errno)
    {
        fixed (byte* p = data)
        {
            nint n = write(fd, p, (nuint)data.Length);
            errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)n;
        }
    }

    /// <summary>poll(2) on one descriptor; the returned events (0 on timeout), or -1 with <paramref name="errno"/>.</summary>
    public static unsafe int PollOne(SafeHandle fd, short events, int timeoutMs, out int errno)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            var pfd = new PollFd { fd = (int)fd.DangerousGetHandle(), events = events };
            int rc = poll(&pfd, 1, timeoutMs);
            errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
            return rc < 0 ? -1 : rc == 0 ? 0 : pfd.revents;
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary>Raw mode, 8 data bits, no parity, 1 stop bit, no flow control, reads return at once; 0 or an errno.</summary>
    public static unsafe int ConfigureRaw8N1(SafeHandle fd, uint speed)
    {
        TermiosStruct t;
        if (tcgetattr(fd, &t) != 0) return Marshal.GetLastPInvokeError();
        cfmakeraw(&t);
        t.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS);
        t.c_cflag |= CS8 | CREAD | CLOCAL;
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        if (cfsetspeed(&t, speed) != 0) return Marshal.GetLastPInvokeError();
        if (tcsetattr(fd, TCSANOW, &t) != 0) return Marshal.GetLastPInvokeError();
        tcflush(fd, TCIOFLUSH);
        return 0;
    }

    /// <summary>Opens a tty read/write, non-blocking, not as controlling terminal; null with <paramref name="errno"/> on failure.</summary>
    public static TtyHandle? OpenTty(string path, out int errno)
    {
        int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new TtyHandle(fd);
    }

    /// <summary>Opens a pseudo-terminal master and returns it with the path of its slave side.</summary>
    public static unsafe TtyHandle OpenPseudoTerminal(out string slavePath)
    {
        int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) throw new IOException($"posix_openpt failed: errno {Marshal.GetLastPInvokeError()}");
        var master = new TtyHandle(fd);
        byte* name = stackalloc byte[128];
        if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, name, 128) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            master.Dispose();
            throw new IOException($"setting up the pseudo-terminal failed: errno {errno}");
        }
        slavePath = Marshal.PtrToStringUTF8((nint)name)!;
        return master;
    }
}
