namespace Edge.Agent.Capture;

/// <summary>
/// Retry and polling intervals. Production uses <see cref="Default"/>; tests shorten the backoff so
/// a retrying source restarts within a test's time.
/// </summary>
internal sealed record CaptureTimings
{
    public static readonly CaptureTimings Default = new();

    /// <summary>First wait before rebuilding a failed pipeline; doubles up to <see cref="MaxBackoff"/>, reset by a frame.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one pull waits for a sample before the bus is checked again (and stop noticed).</summary>
    public TimeSpan PullTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A playing pipeline with no frame for this long is treated as failed and rebuilt.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>Exponential backoff with ±20 % jitter so many devices do not retry in step.</summary>
internal struct Backoff
{
    private readonly TimeSpan _initial, _max;
    private TimeSpan _next;

    public Backoff(TimeSpan initial, TimeSpan max) => (_initial, _max, _next) = (initial, max, initial);

    public TimeSpan Next()
    {
        var delay = _next * (0.8 + 0.4 * Random.Shared.NextDouble());
        _next = _next * 2 > _max ? _max : _next * 2;
        return delay;
    }

    public void Reset() => _next = _initial;
}
