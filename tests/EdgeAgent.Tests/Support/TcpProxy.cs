using System.Net;
using System.Net.Sockets;

namespace Edge.Agent.Tests.Support;

/// <summary>
/// A TCP forwarder between a client and a broker, for faults a real network has: hold everything the broker sends
/// (acks, messages) until released, or cut every connection abruptly (RST, no DISCONNECT). When either side closes,
/// the other is closed too and held bytes are dropped.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly int _targetPort;
    private readonly Lock _lock = new();
    private readonly List<Link> _links = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private bool _holding;

    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>From now on, bytes from the broker are read but not passed on until <see cref="ReleaseBrokerToClient"/>.</summary>
    public void HoldBrokerToClient()
    {
        lock (_lock) _holding = true;
    }

    /// <summary>Passes on everything held, in order, and stops holding.</summary>
    public async Task ReleaseBrokerToClient()
    {
        Link[] links;
        lock (_lock)
        {
            _holding = false;
            links = [.. _links];
        }
        foreach (var link in links) await link.FlushHeldAsync().ConfigureAwait(false);
    }

    /// <summary>Resets every open connection on both sides (SO_LINGER 0): to the broker the client just vanished.</summary>
    public void CutAll()
    {
        Link[] links;
        lock (_lock) links = [.. _links];
        foreach (var link in links) link.Abort();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        CutAll();
        try { await _accepting.ConfigureAwait(false); } catch (Exception) { /* listener closed */ }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            Accepted++;
            var broker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await broker.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                client.Dispose(); // broker down: the client sees its connection closed, as with a real outage
                broker.Dispose();
                continue;
            }
            var link = new Link(this, client, broker);
            lock (_lock) _links.Add(link);
            link.Start();
        }
    }

    private bool Holding
    {
        get { lock (_lock) return _holding; }
    }

    private void Remove(Link link)
    {
        lock (_lock) _links.Remove(link);
    }

    private sealed class Link(TcpProxy owner, Socket client, Socket broker)
    {
        private readonly SemaphoreSlim _downstream = new(1, 1); // orders live and held bytes towards the client
        private readonly List<byte[]> _held = [];
        private int _closed;

        public void Start()
        {
            _ = PumpAsync(client, broker, toClient: false);
            _ = PumpAsync(broker, client, toClient: true);
        }

        public async Task FlushHeldAsync()
        {
            await _downstream.WaitAsync().ConfigureAwait(false);
            try
            {
                foreach (var chunk in _held) await client.SendAsync(chunk).ConfigureAwait(false);
                _held.Clear();
            }
            catch (Exception)
            {
                Close();
            }
            finally
            {
                _downstream.Release();
            }
        }

        public void Abort()
        {
            foreach (var s in new[] { client, broker })
            {
                try { s.LingerState = new LingerOption(true, 0); } catch (Exception) { }
            }
            Close();
        }

        private async Task PumpAsync(Socket from, Socket to, bool toClient)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    int n = await from.ReceiveAsync(buffer).ConfigureAwait(false);
                    if (n == 0) break;
                    if (!toClient)
                    {
                        await to.SendAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
                        continue;
                    }
                    await _downstream.WaitAsync().ConfigureAwait(false);
                    try
                    {
                        if (owner.Holding) _held.Add(buffer[..n]);
                        else await to.SendAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
                    }
                    finally
                    {
                        _downstream.Release();
                    }
                }
            }
            catch (Exception)
            {
                // either side reset: fall through and close both
            }
            Close();
        }

        private void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            owner.Remove(this);
            client.Dispose();
            broker.Dispose();
        }
    }
}
