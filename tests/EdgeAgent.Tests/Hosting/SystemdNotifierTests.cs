using System.Net.Sockets;
using System.Text;
using Edge.Agent.Hosting;

namespace Edge.Agent.Tests.Hosting;

public class SystemdNotifierTests
{
    /// <summary>Plays systemd: a datagram socket the notifier writes to.</summary>
    private sealed class FakeSystemd : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"edge-notify-{Guid.NewGuid():N}.sock");
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        public FakeSystemd() => _socket.Bind(new UnixDomainSocketEndPoint(Path));

        public async Task<string> ReceiveAsync()
        {
            var buffer = new byte[4096];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }

        public void Dispose() { _socket.Dispose(); File.Delete(Path); }
    }

    [Fact]
    public async Task Ready_status_watchdog_and_stopping_arrive_as_sd_notify_datagrams()
    {
        using var systemd = new FakeSystemd();
        using var notifier = new SystemdNotifier(systemd.Path);
        Assert.True(notifier.IsActive);
        notifier.Ready("models loaded");
        Assert.Equal("READY=1\nSTATUS=models loaded", await systemd.ReceiveAsync());
        notifier.Status("cards: 4.9 fps");
        Assert.Equal("STATUS=cards: 4.9 fps", await systemd.ReceiveAsync());
        notifier.Watchdog();
        Assert.Equal("WATCHDOG=1", await systemd.ReceiveAsync());
        notifier.Stopping();
        Assert.Equal("STOPPING=1", await systemd.ReceiveAsync());
    }

    [Fact]
    public void Outside_systemd_nothing_is_sent_and_nothing_fails()
    {
        using var notifier = new SystemdNotifier(null);
        Assert.False(notifier.IsActive);
        notifier.Ready();
        notifier.Watchdog();
        notifier.Stopping();
    }

    [Fact]
    public void A_vanished_socket_does_not_throw()
    {
        string path;
        using (var systemd = new FakeSystemd()) path = systemd.Path;
        using var notifier = new SystemdNotifier(path);
        notifier.Watchdog();
    }
}
