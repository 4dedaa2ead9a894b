using System.Threading.Channels;
using Edge.Agent.Metrics;
using Edge.Agent.Mqtt;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Hosting;

/// <summary>
/// Sends the outbox to the broker in sequence order with a window of QoS 1 publishes in flight and
/// deletes each message when the broker acknowledges it. After a disconnect it starts again from the
/// oldest unacknowledged message: delivery is at least once and in order per pipeline (consumers
/// deduplicate on the event id).
/// </summary>
public sealed class OutboxPublisher
{
    private readonly Outbox.Outbox _outbox;
    private readonly MqttClient _client;
    private readonly ILogger _logger;
    private readonly int _window;
    private readonly Counter _published;
    private readonly Histogram _latency;
    private readonly Channel<long> _acks = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _wake = new(0);
    private readonly TimeProvider _time;

    public OutboxPublisher(Outbox.Outbox outbox, MqttClient client, MetricsRegistry metrics, ILogger logger, int window = 512, TimeProvider? time = null)
    {
        _outbox = outbox;
        _client = client;
        _logger = logger;
        _window = window;
        _time = time ?? TimeProvider.System;
        _published = metrics.Counter("edge_mqtt_published_total", "Events acknowledged by the broker.");
        _latency = metrics.Histogram("edge_publish_seconds", "From commit to the outbox to the broker's acknowledgement.");
        outbox.MessagesAvailable += Wake;
        client.StateChanged += _ => Wake();
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    /// <summary>Called for each acknowledged message with the time from its commit to the ack (benchmarks).</summary>
    public Action<TimeSpan>? Acknowledged { get; set; }

    /// <summary>How long a publish may wait for its PUBACK before it is sent again.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages still waiting for an acknowledgement.</summary>
    public long Pending => _outbox.Stats.Depth;

    public Task RunAsync(CancellationToken ct) => Task.WhenAll(SendLoopAsync(ct), AckLoopAsync(ct));

    private async Task SendLoopAsync(CancellationToken ct)
    {
        var batch = new List<Outbox.OutboxMessage>(_window);
        var inflight = new SemaphoreSlim(_window, _window);
        while (!ct.IsCancellationRequested)
        {
            if (_client.State != MqttConnectionState.Connected)
            {
                await WaitAsync(ct);
                continue;
            }
            // A new connection: resend everything not yet acknowledged, oldest first.
            long after = 0;
            var failed = new CancellationTokenSource();
            while (!ct.IsCancellationRequested && _client.State == MqttConnectionState.Connected && !failed.IsCancellationRequested)
            {
                batch.Clear();
                _outbox.ReadPending(after, Math.Max(inflight.CurrentCount, 1), batch);
                if (batch.Count == 0)
                {
                    await WaitAsync(ct);
                    continue;
                }
                foreach (var m in batch)
                {
                    await inflight.WaitAsync(ct);
                    after = m.Seq;
                    Task publish;
                    try { publish = _client.PublishAsync(m.Topic, m.Payload, m.Qos, retain: false, properties: null, ct); }
                    catch (Exception e) when (e is MqttException or InvalidOperationException)
                    {
                        inflight.Release();
                        failed.Cancel();
                        break;
                    }
                    // A publish that is neither acknowledged nor failed in time is treated as lost and sent again.
                    _ = publish.WaitAsync(AckTimeout).ContinueWith(t =>
                    {
                        if (t.IsCompletedSuccessfully)
                        {
                            _acks.Writer.TryWrite(m.Seq);
                            var latency = _time.GetUtcNow() - m.CreatedAt;
                            _latency.Observe(latency.TotalSeconds);
                            Acknowledged?.Invoke(latency);
                        }
                        else
                        {
                            failed.Cancel();
                            Wake();
                        }
                        // Last: the drain below disposes `failed` once every slot is back.
                        inflight.Release();
                    }, TaskScheduler.Default);
                }
            }
            // Let the in-flight publishes settle before starting over from the oldest pending message.
            for (int i = 0; i < _window; i++) await inflight.WaitAsync(ct);
            inflight.Release(_window);
            if (failed.IsCancellationRequested)
                _logger.LogInformation("Publishing interrupted ({State}); unacknowledged results will be sent again, oldest first", _client.State);
            failed.Dispose();
        }
    }

    private async Task WaitAsync(CancellationToken ct)
    {
        try { await _wake.WaitAsync(TimeSpan.FromSeconds(1), ct); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
    }

    private async Task AckLoopAsync(CancellationToken ct)
    {
        var seqs = new List<long>(1024);
        var reader = _acks.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct))
            {
                seqs.Clear();
                while (seqs.Count < 4096 && reader.TryRead(out long s)) seqs.Add(s);
                try
                {
                    _outbox.Acknowledge(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(seqs));
                    _published.Inc(seqs.Count);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The messages stay in the outbox and are sent again: a duplicate, never a loss.
                    _logger.LogError(e, "Could not delete {Count} acknowledged messages from the outbox", seqs.Count);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Record what was acknowledged before stopping.
            seqs.Clear();
            while (reader.TryRead(out long s)) seqs.Add(s);
            if (seqs.Count > 0) _outbox.Acknowledge(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(seqs));
        }
    }
}
