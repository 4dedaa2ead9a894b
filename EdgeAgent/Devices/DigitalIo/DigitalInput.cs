namespace Edge.Agent.Devices.DigitalIo;

/// <summary>
/// A button, switch or photo-eye on one GPIO input. Presses are the line becoming active (logical high), so a button
/// to ground with a pull-up is <c>ActiveLow = true</c> (the default). Bounces are removed by the kernel's debounce,
/// which reports a change only once the line has been stable for <see cref="DigitalInputOptions.Debounce"/>.
/// </summary>
public sealed class DigitalInput : IDisposable
{
    private readonly IGpioChip _chip;
    private readonly IGpioInput _line;
    private readonly bool _shouldDispose;

    public DigitalInput(IGpioChip chip, int line, DigitalInputOptions? options = null, bool shouldDispose = false)
    {
        ArgumentNullException.ThrowIfNull(chip);
        options ??= new DigitalInputOptions();
        options.Validate();
        _chip = chip;
        _shouldDispose = shouldDispose;
        Options = options;
        _line = chip.RequestInput(line, new GpioInputOptions
        {
            ActiveLow = options.ActiveLow,
            Bias = options.Bias,
            Debounce = options.Debounce,
            Edges = GpioEdges.Both,
        }, options.Consumer);
    }

    public DigitalInputOptions Options { get; }
    public int Line => _line.Offset;

    /// <summary>Whether the input is active now (pressed, beam broken), after debounce and active-low.</summary>
    public bool IsActive => _line.Read();

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the next press not yet consumed (one that happened since the last
    /// call counts, so a fast photo-eye pulse is not missed). Releases on the way are consumed.
    /// </summary>
    public bool TryWaitForPress(TimeSpan timeout) => TryWaitFor(GpioEdges.Rising, timeout, out _);

    /// <summary>As <see cref="TryWaitForPress(TimeSpan)"/>, with the press's timestamp on the chip's clock.</summary>
    public bool TryWaitForPress(TimeSpan timeout, out long timestampNs) => TryWaitFor(GpioEdges.Rising, timeout, out timestampNs);

    /// <summary>Waits up to <paramref name="timeout"/> for the next release.</summary>
    public bool TryWaitForRelease(TimeSpan timeout, out long timestampNs) => TryWaitFor(GpioEdges.Falling, timeout, out timestampNs);

    public void Dispose()
    {
        _line.Dispose();
        if (_shouldDispose) _chip.Dispose();
    }

    private bool TryWaitFor(GpioEdges wanted, TimeSpan timeout, out long timestampNs)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "timeout must be non-negative or Timeout.InfiniteTimeSpan");
        bool forever = timeout == Timeout.InfiniteTimeSpan;
        long deadline = forever ? long.MaxValue : _chip.NowNs + timeout.Ticks * 100;
        while (true)
        {
            TimeSpan wait = forever ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(0, deadline - _chip.NowNs) / 100);
            if (!_line.TryReadEdge(wait, out var edge))
            {
                timestampNs = 0;
                return false;
            }
            if (edge.Edge == wanted)
            {
                timestampNs = edge.TimestampNs;
                return true;
            }
        }
    }
}

/// <summary>How a <see cref="DigitalInput"/> requests its line; validated in one place.</summary>
public sealed record DigitalInputOptions
{
    /// <summary>Active when the line is low (button or NPN photo-eye to ground with a pull-up).</summary>
    public bool ActiveLow { get; init; } = true;
    public GpioBias Bias { get; init; } = GpioBias.PullUp;
    /// <summary>A change counts once the line has been stable this long (10 ms suits buttons; 0 disables).</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(10);
    public string Consumer { get; init; } = "edge-input";

    internal void Validate()
    {
        if (Debounce < TimeSpan.Zero || Debounce > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(Debounce), Debounce, "Debounce must be within 0..1 s");
        if (string.IsNullOrWhiteSpace(Consumer))
            throw new ArgumentException("Consumer must name the user of the line", nameof(Consumer));
    }
}
