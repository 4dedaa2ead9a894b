using System.Net.Sockets;

namespace Edge.Agent.Devices.Channels;

/// <summary>
/// A network printer's raw port (TCP 9100, "JetDirect"). Connects on first use; after any transport
/// failure the socket is dropped and the next write connects again, so a printer that was switched
/// off and on comes back without restarting the agent.
/// </summary>
public sealed class TcpChannel : IByteChannel
{
    public const int RawPrintPort = 9100;

    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _sendTimeout;
    private Socket? _socket;
    private bool _disposed;

    public TcpChannel(string host, int port = RawPrintPort, TimeSpan? connectTimeout = null, TimeSpan? sendTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "TCP port must be within 1..65535");
        Host = host;
        Port = port;
        _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(3);
        _sendTimeout = sendTimeout ?? TimeSpan.FromSeconds(10);
    }

    public string Host { get; }
    public int Port { get; }
    public string Description => $"tcp {Host}:{Port}";
    public bool IsConnected => _socket is not null;

    /// <summary>Connects now if not connected (otherwise the first write does).</summary>
    public void Connect() => EnsureConnected();

    public void Write(ReadOnlySpan<byte> data)
    {
        var socket = EnsureConnected();
        try
        {
            while (!data.IsEmpty)
            {
                int n = socket.Send(data, SocketFlags.None);
                data = data[n..];
            }
        }
        catch (SocketException e)
        {
            throw Fail($"sending to the printer at {Host}:{Port} failed ({e.SocketErrorCode})", e);
        }
    }

    /// <summary>TCP has no flush of its own: data goes out as it is sent (Nagle is off).</summary>
    public void Flush() => ObjectDisposedException.ThrowIf(_disposed, this);

    public int Read(Span<byte> buffer, TimeSpan timeout)
    {
        var socket = EnsureConnected();
        if (buffer.IsEmpty) return 0;
        try
        {
            long micro = (long)Math.Clamp(timeout.TotalMicroseconds, 0, int.MaxValue);
            if (!socket.Poll((int)micro, SelectMode.SelectRead)) return 0;
            int n = socket.Receive(buffer, SocketFlags.None);
            if (n == 0) throw Fail($"the printer at {Host}:{Port} closed the connection", null);
            return n;
        }
        catch (SocketException e)
        {
            throw Fail($"receiving from the printer at {Host}:{Port} failed ({e.SocketErrorCode})", e);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        Drop();
    }

    private Socket EnsureConnected()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_socket is { } existing)
        {
            // A peer that closed or reset shows as readable with nothing to read: start over.
            bool closedByPeer;
            try { closedByPeer = existing.Poll(0, SelectMode.SelectRead) && existing.Available == 0; }
            catch (SocketException) { closedByPeer = true; }
            if (!closedByPeer) return existing;
            Drop();
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendTimeout = (int)_sendTimeout.TotalMilliseconds };
        using var timeout = new CancellationTokenSource(_connectTimeout);
        try
        {
            socket.ConnectAsync(Host, Port, timeout.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
        {
            socket.Dispose();
            throw new DeviceException($"the printer at {Host}:{Port} did not answer within {_connectTimeout.TotalSeconds:0.#} s: check it is on, on the network, and that the address is right", e);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new DeviceException($"cannot reach the printer at {Host}:{Port} ({e.SocketErrorCode}): check it is on, on the network, and that the address and port are right", e);
        }
        _socket = socket;
        return socket;
    }

    private DeviceException Fail(string message, Exception? inner)
    {
        Drop();
        return new DeviceException(message + "; the next write reconnects", inner);
    }

    private void Drop()
    {
        var socket = _socket;
        _socket = null;
        socket?.Dispose();
    }
}
