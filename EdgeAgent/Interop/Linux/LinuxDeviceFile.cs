using System.Runtime.CompilerServices;
using static Edge.Agent.Interop.Linux.Libc;

namespace Edge.Agent.Interop.Linux;

/// <summary>
/// Safe calls over <see cref="Libc"/>: descriptors in, managed values and spans out, every failure thrown through
/// <see cref="LinuxDeviceError"/>. The only place outside the raw bindings that sees a pointer.
/// </summary>
internal static unsafe class LinuxDeviceFile
{
    /// <summary>Opens a /dev node read-write, close-on-exec.</summary>
    public static SafeFileDescriptor Open(string path)
    {
        int fd;
        do fd = open(path, O_RDWR | O_CLOEXEC);
        while (fd < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == EINTR);
        if (fd < 0) LinuxDeviceError.ThrowLast(path, "open");
        return new SafeFileDescriptor(fd);
    }

    /// <summary>ioctl with a struct argument the kernel may read and write.</summary>
    public static void Ioctl<T>(SafeFileDescriptor fd, nuint request, ref T argument, string path, string operation) where T : unmanaged
    {
        int rc;
        fixed (T* p = &argument)
        {
            do rc = ioctl(fd, request, p);
            while (rc < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == EINTR);
        }
        if (rc < 0) LinuxDeviceError.ThrowLast(path, operation);
    }

    /// <summary>ioctl whose argument is passed by value (I2C_SLAVE).</summary>
    public static void IoctlValue(SafeFileDescriptor fd, nuint request, nuint value, string path, string operation)
    {
        if (ioctl(fd, request, value) < 0) LinuxDeviceError.ThrowLast(path, operation);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for <paramref name="fd"/> to become readable; false on timeout.</summary>
    public static bool WaitReadable(SafeFileDescriptor fd, TimeSpan timeout, string path)
    {
        long deadline = MonotonicNowNs() + Math.Max(0, timeout.Ticks) * 100;
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            var p = new pollfd { fd = (int)fd.DangerousGetHandle(), events = POLLIN };
            while (true)
            {
                long remainingNs = Math.Max(0, deadline - MonotonicNowNs());
                // poll counts milliseconds: round up so a 10 µs timeout still waits instead of spinning.
                int ms = (int)Math.Min(int.MaxValue, (remainingNs + 999_999) / 1_000_000);
                int rc = poll(&p, 1, ms);
                if (rc < 0)
                {
                    if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == EINTR) continue;
                    LinuxDeviceError.ThrowLast(path, "poll");
                }
                if (rc == 0) return false;
                if ((p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 && (p.revents & POLLIN) == 0)
                    LinuxDeviceError.Throw(path, "poll", LinuxDeviceError.EIO);
                return true;
            }
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary>Reads exactly one <typeparamref name="T"/> (a gpio_v2_line_event) from <paramref name="fd"/>.</summary>
    public static T ReadStruct<T>(SafeFileDescriptor fd, string path, string operation) where T : unmanaged
    {
        T value;
        nint n;
        do n = read(fd, &value, (nuint)sizeof(T));
        while (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == EINTR);
        if (n < 0) LinuxDeviceError.ThrowLast(path, operation);
        if (n != sizeof(T)) LinuxDeviceError.Throw(path, $"{operation} (short read: {n} of {sizeof(T)} bytes)", LinuxDeviceError.EIO);
        return value;
    }

    /// <summary>One full-duplex spidev message; <paramref name="rx"/> may be empty (write only).</summary>
    public static void SpiTransfer(SafeFileDescriptor fd, ReadOnlySpan<byte> tx, Span<byte> rx, uint speedHz, byte bitsPerWord, string path)
    {
        fixed (byte* t = tx)
        fixed (byte* r = rx)
        {
            var transfer = new spi_ioc_transfer
            {
                tx_buf = (ulong)t,
                rx_buf = rx.IsEmpty ? 0 : (ulong)r,
                len = (uint)tx.Length,
                speed_hz = speedHz,
                bits_per_word = bitsPerWord,
            };
            Ioctl(fd, SpiDevUapi.SPI_IOC_MESSAGE_1, ref transfer, path, "SPI_IOC_MESSAGE");
        }
    }

    /// <summary>
    /// An I2C_RDWR transaction: a write segment, a read segment, or both with a repeated START between them
    /// (one STOP at the end). Either span may be empty, not both.
    /// </summary>
    public static void I2cTransfer(SafeFileDescriptor fd, ushort address, ReadOnlySpan<byte> write, Span<byte> read, string path)
    {
        var msgs = stackalloc i2c_msg[2];
        uint count = 0;
        fixed (byte* w = write)
        fixed (byte* r = read)
        {
            if (!write.IsEmpty) msgs[count++] = new i2c_msg { addr = address, flags = 0, len = (ushort)write.Length, buf = (nint)w };
            if (!read.IsEmpty) msgs[count++] = new i2c_msg { addr = address, flags = I2cDevUapi.I2C_M_RD, len = (ushort)read.Length, buf = (nint)r };
            var data = new i2c_rdwr_ioctl_data { msgs = (nint)msgs, nmsgs = count };
            Ioctl(fd, I2cDevUapi.I2C_RDWR, ref data, path, count == 2 ? "I2C_RDWR write+read" : read.IsEmpty ? "I2C_RDWR write" : "I2C_RDWR read");
        }
    }

    /// <summary>CLOCK_MONOTONIC in nanoseconds: the clock the kernel stamps GPIO edge events with.</summary>
    public static long MonotonicNowNs()
    {
        timespec ts;
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) LinuxDeviceError.ThrowLast("CLOCK_MONOTONIC", "clock_gettime");
        return (long)ts.tv_sec * 1_000_000_000L + ts.tv_nsec;
    }

    /// <summary>Bytes of an unmanaged struct as C sees them (used by tests to compare with the header).</summary>
    public static int SizeOf<T>() where T : unmanaged => Unsafe.SizeOf<T>();
}
