using System.Buffers;
using Edge.Agent.Capture;
using Edge.Agent.Outbox;
using Edge.Models.Imaging;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Pipelines;

/// <summary>Where a pipeline's events go.</summary>
public interface ISink : IAsyncDisposable
{
    string Type { get; }
    ValueTask WriteAsync(PipelineEvent evt, Frame frame, CancellationToken ct);
    /// <summary>Completes what was written (called when the pipeline stops or its source ends).</summary>
    ValueTask FlushAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Commits each event to the durable outbox; the publisher sends it to
/// <c>{prefix}/{device}/events/{pipeline}</c>. The commit of one event overlaps the processing of the
/// next frame (one commit in flight): the pipeline does not wait on fsync, and a failed commit is
/// reported with the following frame. Disposing waits for the last commit.
/// </summary>
public sealed class MqttSink(Outbox.Outbox outbox, EventSequence sequence, string device, string topic, TimeProvider time) : ISink
{
    private readonly ArrayBufferWriter<byte> _json = new(2048);
    private Task? _inFlight;

    public string Type => "mqtt";

    public async ValueTask WriteAsync(PipelineEvent evt, Frame frame, CancellationToken ct)
    {
        _json.ResetWrittenCount();
        evt.WriteJson(_json, device, Guid.CreateVersion7(time.GetUtcNow()), sequence.Next(), time.GetUtcNow());
        // The outbox holds the bytes until its group commit, so they cannot share the reused buffer.
        var previous = _inFlight;
        _inFlight = outbox.EnqueueAsync(evt.Pipeline, topic, _json.WrittenSpan.ToArray(), qos: 1, ct).AsTask();
        if (previous is not null) await previous;
    }

    public async ValueTask FlushAsync()
    {
        if (_inFlight is { } last)
        {
            _inFlight = null;
            await last;
        }
    }

    public ValueTask DisposeAsync() => FlushAsync();
}

/// <summary>Writes the text found to the log (journald under systemd).</summary>
public sealed class LogSink(ILogger logger) : ISink
{
    public string Type => "log";

    public ValueTask WriteAsync(PipelineEvent evt, Frame frame, CancellationToken ct)
    {
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("{Pipeline} frame {Frame}{Source}: {Text}", evt.Pipeline, evt.Frame,
                evt.SourceName is null ? "" : $" ({evt.SourceName})", string.Join(" | ", evt.OcrLines.Select(l => l.Text)));
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Saves every Nth frame as JPEG into a folder: <c>{pipeline}-{frame}.jpg</c>.</summary>
public sealed class SnapshotSink(string directory, int every) : ISink
{
    public string Type => "snapshot";

    public ValueTask WriteAsync(PipelineEvent evt, Frame frame, CancellationToken ct)
    {
        if (evt.Frame % every != 0) return ValueTask.CompletedTask;
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{evt.Pipeline}-{evt.Frame:D8}.jpg");
        File.WriteAllBytes(path, JpegCodec.Encode(frame.Image, 85));
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
