using System.Collections.Concurrent;
using System.Threading.Channels;
using Edge.Agent.Interop.Mosquitto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Edge.Agent.Interop.Mosquitto.MosquittoNative;

namespace Edge.Agent.Mqtt;

/// <summary>
/// An MQTT 3.1.1/5 client over libmosquitto. One thread of ours per client runs the network loop (mosquitto_loop)
/// and the reconnect policy (exponential backoff with jitter); every libmosquitto callback runs there and only copies
/// data out. Received messages go to a bounded channel; state changes are raised on a separate dispatcher.
/// </summary>
public sealed class MqttClient : IAsyncDisposable, IMosquittoEvents
{
    private const int LoopTimeoutMs = 1000;
    private const int ECONNREFUSED = 111; // the same on Linux x64 and arm64
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly MqttOptions _options;
    private readonly ILogger _logger;
    private readonly string _endpoint;
    private readonly MosquittoConnection _connection;
    private readonly PendingAcks _publishes;
    private readonly PendingAcks _subscribes;
    private readonly ConcurrentDictionary<string, int> _subscriptions = new(StringComparer.Ordinal);
    private readonly Channel<MqttMessage> _messages;
    private readonly Channel<MqttConnectionState> _stateEvents;
    private readonly Lock _lifecycle = new();
    private readonly Lock _stateLock = new();
    private LoopRun? _run;
    private Task? _disposal;
    private int _state;
    private volatile string? _lastError;
    private long _dropped;

    // Written and read only on the loop thread (callbacks run there too).
    private readonly HashSet<int> _resubscribeMids = [];
    private bool _awaitingResubscribe;
    private int? _connackRefusal;
    private int? _disconnectReason;
    private int _disconnectErrno;
    private string? _lastLibraryError;

    public MqttClient(MqttOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _endpoint = $"{options.Host}:{options.Port}";
        _publishes = new PendingAcks((topic, code) => code >= 0x80
            ? new MqttRejectedException(topic, code, $"broker rejected the publish to \"{topic}\": reason {code} ({MosquittoLibrary.ReasonText(code)})")
            : null);
        _subscribes = new PendingAcks((filter, granted) => granted >= 0x80
            ? new MqttRejectedException(filter, granted, $"broker refused the subscription to \"{filter}\": reason {granted} ({MosquittoLibrary.ReasonText(granted)})")
            : null);
        _messages = Channel.CreateBounded<MqttMessage>(
            new BoundedChannelOptions(options.MessageBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
            _ => Interlocked.Increment(ref _dropped));
        _stateEvents = Channel.CreateUnbounded<MqttConnectionState>(new UnboundedChannelOptions { SingleReader = true });

        _connection = new MosquittoConnection(options.ClientId, options.CleanStart, options.Protocol == MqttProtocol.V5, this);
        try
        {
            _connection.SetMaxInflight(options.MaxInflight);
            if (options.Username is not null) _connection.SetCredentials(options.Username, options.Password);
            if (options.Will is { } will) _connection.SetWill(will.Topic, will.Payload, will.Qos, will.Retain);
            if (options.Tls is { } tls) _connection.SetTls(tls.CaFile, tls.CertFile, tls.KeyFile, tls.VerifyHostname);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
        _ = Task.Run(DispatchStateChangesAsync);
    }

    public MqttConnectionState State => (MqttConnectionState)Volatile.Read(ref _state);

    /// <summary>Why the last connection attempt failed or the last connection ended, e.g. "connection refused: 127.0.0.1:1884 (Connection refused)".</summary>
    public string? LastError => _lastError;

    /// <summary>Raised in order on a dispatcher task, never on the network thread; a handler that throws is logged and skipped.</summary>
    public event Action<MqttConnectionState>? StateChanged;

    /// <summary>Received messages. Bounded: when the reader falls behind the oldest are dropped and counted in <see cref="DroppedMessages"/>.</summary>
    public ChannelReader<MqttMessage> Messages => _messages.Reader;

    public long DroppedMessages => Interlocked.Read(ref _dropped);

    /// <summary>Test hook: each reconnect delay as it is chosen.</summary>
    internal event Action<TimeSpan>? ReconnectScheduled;

    /// <summary>
    /// Starts the network loop and completes on the first successful CONNACK (after remembered subscriptions are restored).
    /// If that first attempt fails the loop stops and this throws <see cref="MqttConnectException"/> naming host:port and the
    /// reason. Once connected, dropped connections are retried like <see cref="Start"/>. Cancelling stops the loop.
    /// </summary>
    public async Task ConnectAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var run = StartRun(retryFirstAttempt: false);
        try
        {
            await run.FirstConnect.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await StopRunAsync(run).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts connecting in the background and keeps retrying with backoff; connection failures never throw (see
    /// <see cref="State"/> and <see cref="LastError"/>). A second call, or one while ConnectAsync is running, does nothing.
    /// </summary>
    public void Start() => StartRun(retryFirstAttempt: true);

    /// <summary>
    /// QoS 0 completes when the library has the message; QoS 1/2 when the broker acknowledges it. Faults with
    /// <see cref="MqttNotDeliveredException"/> when not connected or when the connection drops before the ack (resend it),
    /// and with <see cref="MqttRejectedException"/> when the broker refuses it.
    /// </summary>
    public Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, int qos = 1, bool retain = false,
        MqttPublishProperties? properties = null, CancellationToken ct = default)
    {
        if (MqttTopics.PublishTopicProblem(topic) is { } problem)
            throw new ArgumentException($"topic \"{topic}\": {problem}", nameof(topic));
        ArgumentOutOfRangeException.ThrowIfNegative(qos);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(qos, 2);
        if (properties is not null)
        {
            if (_options.Protocol != MqttProtocol.V5)
                throw new ArgumentException("publish properties need MQTT 5 (Protocol is V311)", nameof(properties));
            if (properties.CorrelationData is { Length: > ushort.MaxValue } c)
                throw new ArgumentException($"correlation data is {c.Length} bytes; MQTT allows at most 65535", nameof(properties));
        }
        ObjectDisposedException.ThrowIf(_disposal is not null, this);
        if (ct.IsCancellationRequested) return Task.FromCanceled(ct);
        if (State != MqttConnectionState.Connected) return Task.FromException(NotConnected(topic));

        int rc, mid;
        if (qos == 0)
        {
            rc = _connection.Publish(topic, payload.Span, 0, retain, properties, out _);
            return rc == MOSQ_ERR_SUCCESS ? Task.CompletedTask : Task.FromException(SendFailure(rc, topic, "publish"));
        }

        _publishes.BeginSend();
        try
        {
            rc = _connection.Publish(topic, payload.Span, qos, retain, properties, out mid);
        }
        catch
        {
            _publishes.EndSend();
            throw;
        }
        if (rc != MOSQ_ERR_SUCCESS)
        {
            _publishes.EndSend();
            return Task.FromException(SendFailure(rc, topic, "publish"));
        }
        var acked = _publishes.Track(mid, topic, NotConnected);
        return ct.CanBeCanceled ? acked.WaitAsync(ct) : acked;
    }

    /// <summary>
    /// Remembers the subscription (made again on every connect). When connected, completes on the broker's SUBACK
    /// (<see cref="MqttRejectedException"/> if refused); otherwise completes at once and the subscription is made on connect.
    /// </summary>
    public Task SubscribeAsync(string topicFilter, int qos = 1, CancellationToken ct = default)
    {
        if (MqttTopics.FilterProblem(topicFilter) is { } problem)
            throw new ArgumentException($"topic filter \"{topicFilter}\": {problem}", nameof(topicFilter));
        ArgumentOutOfRangeException.ThrowIfNegative(qos);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(qos, 2);
        ObjectDisposedException.ThrowIf(_disposal is not null, this);
        if (ct.IsCancellationRequested) return Task.FromCanceled(ct);

        _subscriptions[topicFilter] = qos; // before the native call, so a connect racing with us re-subscribes it
        int rc, mid;
        _subscribes.BeginSend();
        try
        {
            rc = _connection.Subscribe(topicFilter, qos, out mid);
        }
        catch
        {
            _subscribes.EndSend();
            throw;
        }
        if (rc != MOSQ_ERR_SUCCESS)
        {
            _subscribes.EndSend();
            return rc is MOSQ_ERR_NO_CONN ? Task.CompletedTask : Task.FromException(SendFailure(rc, topicFilter, "subscribe"));
        }
        var granted = _subscribes.Track(mid, topicFilter, notConnected: null);
        return ct.CanBeCanceled ? granted.WaitAsync(ct) : granted;
    }

    /// <summary>
    /// Answers a request: under MQTT 5, to its response topic with its correlation data; under 3.1.1 (or when the
    /// request names no response topic) to <paramref name="fallbackTopic"/>. Published at QoS 1.
    /// </summary>
    public Task ReplyAsync(MqttMessage request, ReadOnlyMemory<byte> payload, string fallbackTopic, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_options.Protocol == MqttProtocol.V5 && !string.IsNullOrEmpty(request.ResponseTopic))
        {
            var properties = request.CorrelationData is { } correlation ? new MqttPublishProperties { CorrelationData = correlation } : null;
            return PublishAsync(request.ResponseTopic, payload, 1, false, properties, ct);
        }
        return PublishAsync(fallbackTopic, payload, 1, false, null, ct);
    }

    /// <summary>Sends a normal DISCONNECT (the broker discards the will), stops the loop thread and frees the handle. Idempotent.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_lifecycle)
            _disposal ??= DisposeCoreAsync();
        return new ValueTask(_disposal);
    }

    private async Task DisposeCoreAsync()
    {
        LoopRun? run;
        lock (_lifecycle) run = _run;
        if (run is not null) await StopRunAsync(run).ConfigureAwait(false);
        _publishes.FailAll(topic => new MqttNotDeliveredException($"the MQTT client was disposed before the broker acknowledged the message on \"{topic}\""));
        _subscribes.FailAll(null);
        _messages.Writer.TryComplete();
        _stateEvents.Writer.TryComplete();
        _connection.Dispose(); // if the loop thread is still inside a blocking connect, the handle is freed when it returns
    }

    // ---- The loop thread ----

    private sealed class LoopRun(bool retryFirstAttempt)
    {
        public bool RetryFirstAttempt { get; } = retryFirstAttempt;
        public TaskCompletionSource FirstConnect { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenSource Stop { get; } = new();
        public bool EverConnected { get; set; }
        public bool ConnectedThisAttempt { get; set; }
    }

    private LoopRun StartRun(bool retryFirstAttempt)
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposal is not null, this);
            if (_run is { } running)
                return retryFirstAttempt ? running : throw new InvalidOperationException($"MQTT client {_options.ClientId} is already started");
            var run = new LoopRun(retryFirstAttempt);
            _run = run;
            SetState(MqttConnectionState.Connecting);
            new Thread(() => RunLoop(run)) { IsBackground = true, Name = $"mqtt {_options.ClientId}" }.Start();
            return run;
        }
    }

    private async Task StopRunAsync(LoopRun run)
    {
        run.Stop.Cancel();
        _connection.Disconnect(); // wakes the loop's select(); the loop sends the DISCONNECT and exits
        try
        {
            await run.Exited.Task.WaitAsync(StopTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("MQTT {Endpoint}: network thread did not stop within {Seconds} s (blocked in connect?); it will finish on its own",
                _endpoint, StopTimeout.TotalSeconds);
        }
    }

    private void RunLoop(LoopRun run)
    {
        var backoff = new ReconnectBackoff(_options.ReconnectMinDelay, _options.ReconnectMaxDelay);
        Exception? failure = null;
        bool first = true;
        try
        {
            while (!run.Stop.IsCancellationRequested)
            {
                SetState(first ? MqttConnectionState.Connecting : MqttConnectionState.Reconnecting);
                _connackRefusal = null;
                _disconnectReason = null;
                _lastLibraryError = null;
                run.ConnectedThisAttempt = false;

                int errno;
                int rc = first
                    ? _connection.Connect(_options.Host, _options.Port, _options.KeepAliveSeconds,
                        _options.CleanStart ? null : _options.SessionExpirySeconds, out errno)
                    : _connection.Reconnect(out errno);
                first = false;
                if (rc == MOSQ_ERR_SUCCESS) (rc, errno) = Pump(run);
                if (run.Stop.IsCancellationRequested) break;

                _resubscribeMids.Clear();
                _awaitingResubscribe = false;
                string reason = run.ConnectedThisAttempt ? DescribeLoss(rc, errno) : DescribeConnectFailure(rc, errno);
                _lastError = reason;
                if (run.ConnectedThisAttempt)
                {
                    _logger.LogWarning("MQTT {Reason}", reason);
                    _publishes.FailAll(topic => new MqttNotDeliveredException(
                        $"not acknowledged before the connection dropped: message on \"{topic}\" ({reason})"));
                    _subscribes.FailAll(null); // remembered: made again on reconnect
                    backoff.Reset();
                }
                else if (!run.RetryFirstAttempt && !run.EverConnected)
                {
                    failure = new MqttConnectException(_options.Host, _options.Port, reason, _connackRefusal);
                    break;
                }

                var delay = backoff.Next();
                SetState(MqttConnectionState.Reconnecting);
                _logger.LogInformation("MQTT {Reason}; retrying in {Delay} ms", reason, (int)delay.TotalMilliseconds);
                try { ReconnectScheduled?.Invoke(delay); } catch { /* test hook only */ }
                run.Stop.Token.WaitHandle.WaitOne(delay);
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "MQTT {Endpoint}: network loop failed", _endpoint);
            failure = e;
        }
        finally
        {
            try
            {
                Shutdown();
            }
            catch (Exception e)
            {
                _logger.LogDebug(e, "MQTT {Endpoint}: disconnect during shutdown failed", _endpoint);
            }
            _publishes.FailAll(topic => new MqttNotDeliveredException($"the MQTT client stopped before the broker acknowledged the message on \"{topic}\""));
            _subscribes.FailAll(null);
            SetState(MqttConnectionState.Disconnected);
            lock (_lifecycle)
                if (_run == run) _run = null;
            // Completed last, so a caller who sees ConnectAsync fail can call it again at once.
            if (!run.RetryFirstAttempt && !run.EverConnected)
            {
                if (failure is null && _disposal is not null) run.FirstConnect.TrySetException(new ObjectDisposedException(nameof(MqttClient)));
                else if (failure is null) run.FirstConnect.TrySetCanceled();
                else run.FirstConnect.TrySetException(failure is MqttException ? failure
                    : new MqttConnectException(_options.Host, _options.Port, $"cannot connect: {_endpoint} ({failure.Message})", null, failure));
            }
            run.Exited.TrySetResult();
        }
    }

    /// <summary>Runs the network loop until the connection ends or a stop is requested; never spins (select() waits).</summary>
    private (int Rc, int Errno) Pump(LoopRun run)
    {
        while (!run.Stop.IsCancellationRequested)
        {
            int rc = _connection.Loop(LoopTimeoutMs, out int errno);
            if (rc != MOSQ_ERR_SUCCESS) return (rc, errno);
        }
        return (MOSQ_ERR_SUCCESS, 0);
    }

    /// <summary>A clean DISCONNECT on the way out so the broker discards the will; bounded in case the broker stopped reading.</summary>
    private void Shutdown()
    {
        if (_connection.Disconnect() == MOSQ_ERR_NO_CONN) return;
        for (int i = 0; i < 20; i++)
            if (_connection.Loop(100, out _) != MOSQ_ERR_SUCCESS) return;
    }

    private string DescribeConnectFailure(int rc, int errno)
    {
        if (_connackRefusal is int code)
            return $"broker refused the connection: {_endpoint} (reason {code}: {MosquittoLibrary.ConnackText(code, _options.Protocol == MqttProtocol.V5)})";
        string detail = _lastLibraryError is { } lib ? $"; {lib}" : "";
        if (_lastLibraryError?.StartsWith("OpenSSL", StringComparison.Ordinal) == true && rc is not MOSQ_ERR_ERRNO)
            return $"TLS failed: {_endpoint} ({MosquittoLibrary.ErrorText(rc)}{detail})"; // e.g. certificate refused after the handshake
        return rc switch
        {
            MOSQ_ERR_ERRNO when errno == ECONNREFUSED => $"connection refused: {_endpoint} ({MosquittoLibrary.ErrnoText(errno)})",
            MOSQ_ERR_ERRNO => $"cannot connect: {_endpoint} ({MosquittoLibrary.ErrnoText(errno)}{detail})",
            MOSQ_ERR_EAI or MOSQ_ERR_LOOKUP => $"cannot resolve host: {_endpoint} ({MosquittoLibrary.ErrorText(rc)})",
            MOSQ_ERR_TLS or MOSQ_ERR_TLS_HANDSHAKE => $"TLS failed: {_endpoint} ({MosquittoLibrary.ErrorText(rc)}{detail})",
            _ => $"cannot connect: {_endpoint} ({MosquittoLibrary.ErrorText(rc)}{detail})",
        };
    }

    private string DescribeLoss(int rc, int errno)
    {
        string why = _disconnectReason switch
        {
            int r and >= 0x80 => $"broker sent DISCONNECT, reason {r}: {MosquittoLibrary.ReasonText(r)}",
            MOSQ_ERR_ERRNO => MosquittoLibrary.ErrnoText(_disconnectErrno),
            int r and > 0 => MosquittoLibrary.ErrorText(r),
            _ when rc == MOSQ_ERR_ERRNO => MosquittoLibrary.ErrnoText(errno),
            _ => MosquittoLibrary.ErrorText(rc),
        };
        return $"connection lost: {_endpoint} ({why})";
    }

    private void BecomeConnected()
    {
        _awaitingResubscribe = false;
        SetState(MqttConnectionState.Connected);
        _logger.LogInformation("MQTT connected to {Endpoint} as {ClientId}", _endpoint, _options.ClientId);
        _run?.FirstConnect.TrySetResult();
    }

    // ---- libmosquitto callbacks (loop thread) ----

    void IMosquittoEvents.OnConnect(int reasonCode, bool sessionPresent)
    {
        if (reasonCode != 0)
        {
            _connackRefusal = reasonCode; // the library closes the socket; the loop reports it
            return;
        }
        if (_run is { } run)
        {
            run.EverConnected = true;
            run.ConnectedThisAttempt = true;
        }
        _publishes.Open();
        _subscribes.Open();
        _logger.LogDebug("MQTT CONNACK from {Endpoint} (session present: {SessionPresent})", _endpoint, sessionPresent);
        // Re-subscribe every time: a clean session has none, and a persistent one may have expired.
        foreach (var (filter, qos) in _subscriptions)
        {
            int rc = _connection.Subscribe(filter, qos, out int mid);
            if (rc == MOSQ_ERR_SUCCESS) _resubscribeMids.Add(mid);
            else _logger.LogError("MQTT re-subscribe to {Filter} failed: {Error}", filter, MosquittoLibrary.ErrorText(rc));
        }
        // "Connected" means the remembered subscriptions are back too, so nothing published after it is missed.
        if (_resubscribeMids.Count == 0) BecomeConnected();
        else _awaitingResubscribe = true;
    }

    void IMosquittoEvents.OnDisconnect(int reasonCode, int errno)
    {
        if (reasonCode == 0) return;
        _disconnectReason = reasonCode;
        _disconnectErrno = errno;
    }

    void IMosquittoEvents.OnPublish(int mid, int reasonCode) => _publishes.Ack(mid, reasonCode);

    void IMosquittoEvents.OnMessage(MqttMessage message) => _messages.Writer.TryWrite(message);

    void IMosquittoEvents.OnSubscribe(int mid, int grantedQos)
    {
        if (!_resubscribeMids.Remove(mid))
        {
            _subscribes.Ack(mid, grantedQos);
            return;
        }
        if (grantedQos >= 0x80)
            _logger.LogError("MQTT broker refused the re-subscription (reason {Code}: {Reason})", grantedQos, MosquittoLibrary.ReasonText(grantedQos));
        if (_awaitingResubscribe && _resubscribeMids.Count == 0) BecomeConnected();
    }

    bool IMosquittoEvents.WantsLog(int level) =>
        level is MOSQ_LOG_ERR or MOSQ_LOG_WARNING || _logger.IsEnabled(LogLevel.Trace);

    void IMosquittoEvents.OnLog(int level, string text)
    {
        if (level == MOSQ_LOG_ERR) _lastLibraryError = text; // e.g. OpenSSL's reason for a failed handshake
        if (level is MOSQ_LOG_ERR or MOSQ_LOG_WARNING) _logger.LogDebug("libmosquitto: {Text}", text);
        else _logger.LogTrace("libmosquitto: {Text}", text);
    }

    void IMosquittoEvents.OnCallbackFailure(string callback, Exception exception) =>
        _logger.LogError(exception, "MQTT {Endpoint}: {Callback} handling failed", _endpoint, callback);

    // ---- State and errors ----

    private void SetState(MqttConnectionState state)
    {
        lock (_stateLock)
        {
            if (Interlocked.Exchange(ref _state, (int)state) != (int)state)
                _stateEvents.Writer.TryWrite(state);
        }
    }

    private async Task DispatchStateChangesAsync()
    {
        await foreach (var state in _stateEvents.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (StateChanged is not { } handlers) continue;
            foreach (var handler in handlers.GetInvocationList()) // one at a time: a throwing handler does not starve the rest
            {
                try
                {
                    ((Action<MqttConnectionState>)handler)(state);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "MQTT {Endpoint}: a StateChanged handler threw on {State}", _endpoint, state);
                }
            }
        }
    }

    private MqttNotDeliveredException NotConnected(string topic) =>
        new($"not connected to {_endpoint} (state {State}{(LastError is { } e ? $", last error: {e}" : "")}): message on \"{topic}\" not sent");

    private Exception SendFailure(int rc, string topic, string what) => rc is MOSQ_ERR_NO_CONN or MOSQ_ERR_CONN_LOST
        ? NotConnected(topic)
        : MosquittoLibrary.Error(rc, $"{what} on \"{topic}\"");
}
