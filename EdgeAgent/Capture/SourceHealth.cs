namespace Edge.Agent.Capture;

/// <summary>Where a source is in its life.</summary>
public enum SourceState
{
    /// <summary>Not started yet, or started and waiting for its first frame.</summary>
    Starting,
    /// <summary>Frames are arriving.</summary>
    Running,
    /// <summary>The source failed (device missing, stream dropped) and will be rebuilt after a backoff; Reason says why.</summary>
    Retrying,
    /// <summary>The end of a file or folder was reached without Loop; the frame channel is complete.</summary>
    Ended,
    /// <summary>A configuration the source cannot recover from (a launch string that does not parse); the channel is complete.</summary>
    Failed,
}

/// <summary>
/// A snapshot of a source. <paramref name="Frames"/>: frames written to the queue. <paramref name="Dropped"/>:
/// frames lost — evicted unread by the latest-frame policy, or (images) files that failed to decode.
/// <paramref name="Restarts"/>: pipeline rebuilds after errors. <paramref name="LastFrameAt"/>: when the
/// source last produced a frame (also in trigger mode, when frames are not delivered).
/// </summary>
public sealed record SourceHealth(SourceState State, string? Reason, int Restarts, long Frames, long Dropped, DateTimeOffset? LastFrameAt);
