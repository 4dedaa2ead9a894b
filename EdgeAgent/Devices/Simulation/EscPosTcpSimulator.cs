using System.Net;
using System.Net.Sockets;

namespace Edge.Agent.Devices.Simulation;

/// <summary>
/// A network ESC/POS printer on 127.0.0.1: each connection gets its own <see cref="EscPosInterpreter"/>.
/// <see cref="Stop"/> closes the port and every connection (the printer was switched off);
/// <see cref="Start"/> opens the same port again.
/// </summary>
public sealed class EscPosTcpSimulator : IDisposable
{
    private readonly object _gate = new();
    private readonly int _paperWidthDots;
    private readonly List<EscPosInterpreter> _sessions = [];
    private readonly List<Socket> _connections = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _stopping;
    private Task? _acceptLoop;

    public EscPosTcpSimulator(int paperWidthDots = 384)
    {
        _paperWidthDots = paperWidthDots;
        Start();
    }

    public string Host => "127.0.0.1";
    /// <summary>Chosen free on the first start and kept across restarts.</summary>
    public int Port { get; private set; }
    public bool IsRunning { get { lock (_gate) return _listener is not null; } }

    /// <summary>Applied to each connection's interpreter before it reads a byte (to inject faults).</summary>
    public Action<EscPosInterpreter>? ConfigureSession { get; set; }

    /// <summary>One interpreter per accepted connection, oldest first.</summary>
    public IReadOnlyList<EscPosInterpreter> Sessions { get { lock (_gate) return _sessions.ToArray(); } }

    /// <summary>The pages of every session, in session order.</summary>
    public IReadOnlyList<PrintedPage> Pages => Sessions.SelectMany(s => s.Pages).ToArray();

    public void Start()
    {
        lock (_gate)
        {
            if (_listener is not null) return;
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _listener = listener;
            _stopping = new CancellationTokenSource();
            _acceptLoop = AcceptLoop(listener, _stopping.Token);
        }
    }

    /// <summary>Stops listening and closes every open connection.</summary>
    public void Stop()
    {
        Task? loop;
        lock (_gate)
        {
            if (_listener is null) return;
            _stopping!.Cancel();
            _listener.Stop();
            _listener = null;
            foreach (var socket in _connections)
            {
                // Linger 0 sends RST, so the client's next send or receive fails at once.
                try { socket.LingerState = new LingerOption(true, 0); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
                socket.Dispose();
            }
            _connections.Clear();
            loop = _acceptLoop;
        }
        try { loop?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }

    public void Dispose() => Stop();

    private async Task AcceptLoop(TcpListener listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await listener.AcceptSocketAsync(stopping).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }

            var printer = new EscPosInterpreter(_paperWidthDots);
            ConfigureSession?.Invoke(printer);
            lock (_gate)
            {
                if (stopping.IsCancellationRequested) { socket.Dispose(); return; }
                _sessions.Add(printer);
                _connections.Add(socket);
            }
            _ = Task.Run(() => Serve(socket, printer, stopping), CancellationToken.None)
                .ContinueWith(_ => { lock (_gate) _connections.Remove(socket); }, TaskScheduler.Default);
        }
    }

    private static async Task Serve(Socket socket, EscPosInterpreter printer, CancellationToken stopping)
    {
        var sendLock = new object();
        void SendReplies()
        {
            Span<byte> replies = stackalloc byte[64];
            lock (sendLock)
            {
                int n;
                while ((n = printer.TakeReplies(replies)) > 0)
                {
                    try { socket.Send(replies[..n]); }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                }
            }
        }
        printer.RepliesQueued += SendReplies;
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, stopping).ConfigureAwait(false);
                if (n == 0) break;
                printer.Receive(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
        finally
        {
            printer.RepliesQueued -= SendReplies;
            socket.Dispose();
        }
    }
}
