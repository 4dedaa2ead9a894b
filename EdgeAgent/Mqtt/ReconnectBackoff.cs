namespace Edge.Agent.Mqtt;

/// <summary>
/// Exponential backoff with jitter: attempt n waits a random time in [max(min, u/2), u] where u = min(max, min·2^(n+1)).
/// Delays never fall below the minimum (no spinning), do not shrink from one attempt to the next until the cap,
/// and stay spread out at the cap so a fleet does not reconnect in step after a broker restart.
/// </summary>
internal sealed class ReconnectBackoff(TimeSpan min, TimeSpan max, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;
    private int _attempt;

    public TimeSpan Next()
    {
        double upper = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt + 1, 62)));
        double lower = Math.Max(min.TotalMilliseconds, upper / 2);
        _attempt++;
        return TimeSpan.FromMilliseconds(lower + _random.NextDouble() * (upper - lower));
    }

    public void Reset() => _attempt = 0;
}
