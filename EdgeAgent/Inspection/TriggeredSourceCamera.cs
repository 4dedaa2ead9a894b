using System.Threading.Channels;
using Edge.Agent.Capture;
using Edge.Models.Imaging;

namespace Edge.Agent.Inspection;

/// <summary>The camera could not give a part's frame in time (no frame, the source ended or is retrying).</summary>
public sealed class PartCaptureException(string message) : Exception(message);

/// <summary>
/// A part camera over a frame source created in trigger mode: each capture discards any stale frame, triggers the
/// source and waits for the frame taken after the trigger. The frame stays valid until the next capture (the line
/// saves it as the snapshot after the decision). A capture that gets no frame within <c>timeout</c> throws
/// <see cref="PartCaptureException"/>: the part then gets the fail-safe policy.
/// </summary>
public sealed class TriggeredSourceCamera(IFrameSource source, TimeSpan timeout) : IPartCamera, IDisposable
{
    private Frame? _held;

    public IFrameSource Source => source;

    /// <summary>The source's name for the image last captured (the file name for an images folder).</summary>
    public string? LastSourceName => _held?.SourceName;

    public ImageBuffer Capture(long triggerNs)
    {
        Release();
        var reader = source.Frames;
        // A frame that arrived after an earlier capture gave up belongs to that part, not this one.
        while (reader.TryRead(out var stale)) stale.Dispose();
        var health = source.Health;
        if (health.State is SourceState.Ended or SourceState.Failed)
            throw new PartCaptureException($"camera {source.Name} {health.State.ToString().ToLowerInvariant()}: {health.Reason}");
        source.Trigger();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            _held = reader.ReadAsync(cts.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            var h = source.Health;
            throw new PartCaptureException($"camera {source.Name} gave no frame within {timeout.TotalMilliseconds:0} ms of the trigger (source {h.State.ToString().ToLowerInvariant()}{(h.Reason is null ? "" : ": " + h.Reason)})");
        }
        catch (ChannelClosedException)
        {
            var h = source.Health;
            throw new PartCaptureException($"camera {source.Name} {h.State.ToString().ToLowerInvariant()}: {h.Reason ?? "no more frames"}");
        }
        return _held.Image;
    }

    private void Release()
    {
        _held?.Dispose();
        _held = null;
    }

    public void Dispose() => Release();
}
