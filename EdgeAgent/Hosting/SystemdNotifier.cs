using System.Net.Sockets;
using System.Text;

namespace Edge.Agent.Hosting;

/// <summary>
/// sd_notify over <c>$NOTIFY_SOCKET</c>: READY, WATCHDOG, STATUS and STOPPING datagrams. Detected once;
/// outside systemd (no socket) every call does nothing.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;

    public SystemdNotifier(string? socketPath, TimeSpan? watchdogInterval = null)
    {
        WatchdogInterval = watchdogInterval;
        if (string.IsNullOrEmpty(socketPath)) return;
        // An abstract socket is written with a leading '@' and addressed with a leading NUL.
        _endpoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>From <c>NOTIFY_SOCKET</c>, <c>WATCHDOG_USEC</c> and <c>WATCHDOG_PID</c>, as systemd sets them for a Type=notify unit.</summary>
    public static SystemdNotifier FromEnvironment()
    {
        TimeSpan? watchdog = null;
        if (long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out long usec) && usec > 0)
        {
            var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
            if (string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString())
                watchdog = TimeSpan.FromMicroseconds(usec);
        }
        return new SystemdNotifier(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"), watchdog);
    }

    public bool IsActive => _socket is not null;

    /// <summary>The unit's WatchdogSec, when set; ping at least twice within it.</summary>
    public TimeSpan? WatchdogInterval { get; }

    public void Ready(string? status = null) => Send(status is null ? "READY=1" : $"READY=1\nSTATUS={status}");
    public void Status(string status) => Send($"STATUS={status}");
    public void Watchdog() => Send("WATCHDOG=1");
    public void Stopping() => Send("STOPPING=1");

    /// <summary>Asks systemd to extend the start/stop timeout (a long model load or drain).</summary>
    public void ExtendTimeout(TimeSpan by) => Send($"EXTEND_TIMEOUT_USEC={(long)by.TotalMicroseconds}");

    private void Send(string message)
    {
        if (_socket is null) return;
        try { _socket.SendTo(Encoding.UTF8.GetBytes(message), _endpoint!); }
        catch (SocketException) { /* systemd went away; nothing useful to do */ }
    }

    public void Dispose() => _socket?.Dispose();
}
