using Edge.Agent.Interop.Linux;

namespace Edge.Agent.Devices.Channels;

/// <summary>
/// A serial port (/dev/ttyUSB0, /dev/ttyAMA0, /dev/serial0) in raw 8N1 without flow control, as TTL
/// thermal printers expect. Reads wait with poll(2), so a silent printer costs a timeout, not a hang.
/// </summary>
public sealed class SerialChannel : IByteChannel
{
    /// <summary>Baud rates the driver accepts (thermal printer modules ship at 9600 or 19200; some at 115200).</summary>
    public static readonly IReadOnlyList<int> SupportedBaudRates = [9600, 19200, 38400, 57600, 115200];

    private readonly TtyHandle _fd;
    private readonly TimeSpan _writeTimeout;

    public SerialChannel(string path, int baudRate = 9600, TimeSpan? writeTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!SupportedBaudRates.Contains(baudRate))
            throw new ArgumentOutOfRangeException(nameof(baudRate), baudRate,
                $"baud rate {baudRate} is not supported; use one of {string.Join(", ", SupportedBaudRates)}");
        Path = path;
        BaudRate = baudRate;
        _writeTimeout = writeTimeout ?? TimeSpan.FromSeconds(10);

        var fd = Termios.OpenTty(path, out int errno);
        if (fd is null)
        {
            throw errno switch
            {
                Termios.ENOENT => new DeviceException($"serial port {path} does not exist: check the adapter is plugged in (ls /dev/ttyUSB* /dev/ttyAMA* /dev/serial*) and, on a Pi, that the UART is enabled (raspi-config > Interface > Serial)"),
                Termios.EACCES => new DeviceException($"no permission to open serial port {path}: add the service user to the dialout group (sudo usermod -aG dialout $USER) and log in again"),
                _ => new DeviceException($"cannot open serial port {path}: errno {errno}"),
            };
        }
        int rc = Termios.ConfigureRaw8N1(fd, Termios.SpeedConstant(baudRate));
        if (rc != 0)
        {
            fd.Dispose();
            throw new DeviceException($"{path} is not a serial port or refused {baudRate} 8N1 raw mode: errno {rc}");
        }
        _fd = fd;
    }

    public string Path { get; }
    public int BaudRate { get; }
    public string Description => $"serial {Path} at {BaudRate} 8N1";

    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        long deadline = Environment.TickCount64 + (long)_writeTimeout.TotalMilliseconds;
        while (!data.IsEmpty)
        {
            int n = Termios.Write(_fd, data, out int errno);
            if (n > 0) { data = data[n..]; continue; }
            if (n < 0 && errno == Termios.EINTR) continue;
            if (n < 0 && errno != Termios.EAGAIN)
                throw new DeviceException($"writing to {Description} failed: errno {errno}; was the adapter unplugged?");
            // Output queue full (the printer is slower than the host): wait until it drains.
            int left = (int)Math.Max(0, deadline - Environment.TickCount64);
            if (left == 0) throw new DeviceException($"{Description} accepted no data for {_writeTimeout.TotalSeconds:0.#} s: is the printer on and the baud rate right?");
            int events = Termios.PollOne(_fd, Termios.POLLOUT, left, out errno);
            if (events < 0 && errno != Termios.EINTR) throw new DeviceException($"waiting to write to {Description} failed: errno {errno}");
        }
    }

    /// <summary>Waits until the kernel has sent everything written so far.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        Termios.tcdrain(_fd);
    }

    public int Read(Span<byte> buffer, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        if (buffer.IsEmpty) return 0;
        long deadline = Environment.TickCount64 + (long)Math.Max(0, timeout.TotalMilliseconds);
        while (true)
        {
            int n = Termios.Read(_fd, buffer, out int errno);
            if (n > 0) return n;
            if (n < 0 && errno != Termios.EAGAIN && errno != Termios.EINTR)
                throw new DeviceException($"reading from {Description} failed: errno {errno}; was the adapter unplugged?");
            int left = (int)Math.Max(0, deadline - Environment.TickCount64);
            if (left == 0) return 0;
            int events = Termios.PollOne(_fd, Termios.POLLIN, left, out errno);
            if (events == 0) return 0;
            if (events < 0 && errno != Termios.EINTR) throw new DeviceException($"waiting to read from {Description} failed: errno {errno}");
            if (events > 0 && (events & Termios.POLLIN) == 0 && (events & (Termios.POLLHUP | Termios.POLLERR | Termios.POLLNVAL)) != 0)
                throw new DeviceException($"{Description} hung up; was the adapter unplugged?");
        }
    }

    public void Dispose() => _fd.Dispose();
}
