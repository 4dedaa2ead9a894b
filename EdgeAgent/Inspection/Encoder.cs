using Edge.Agent.Devices;

namespace Edge.Agent.Inspection;

/// <summary>
/// The belt encoder on one GPIO input: counts rising edges (one channel, no direction), each stamped by the kernel
/// (CLOCK_MONOTONIC on a board, the virtual clock on the simulator). Keeps the timestamps of the last
/// <c>history</c> edges so the count at a past instant (a part's trigger) and the time of a past count (a decision
/// deadline) can be looked up. Edges arrive through <see cref="OnEdge"/>: on a board from <see cref="Run"/> on a
/// thread of its own, on the simulator from <c>SimulatedGpioChip.OnInputEdge</c>. Kernel sequence gaps (events the
/// kernel dropped when its buffer was full) still count, stamped with the next edge's time. Thread-safe.
/// </summary>
public sealed class Encoder : IDisposable
{
    private readonly object _gate = new();
    private readonly IGpioInput _input;
    private readonly long[] _times;
    private long _count;
    private ulong _lastSequence;

    /// <param name="debounce">Kernel debounce (zero for a clean push-pull encoder output).</param>
    /// <param name="history">Edge timestamps kept (a power of two is not required).</param>
    public Encoder(IGpioChip chip, int line, TimeSpan debounce = default, bool activeLow = false, GpioBias bias = GpioBias.AsIs,
        string consumer = "encoder", int history = 4096)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentOutOfRangeException.ThrowIfLessThan(history, 2);
        _times = new long[history];
        _input = chip.RequestInput(line, new GpioInputOptions { Edges = GpioEdges.Rising, Debounce = debounce, ActiveLow = activeLow, Bias = bias }, consumer);
        Line = line;
    }

    public int Line { get; }

    /// <summary>Rising edges counted so far.</summary>
    public long Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>Raised for every count, with the count reached and the edge's timestamp (on the thread that delivered the edge).</summary>
    public event Action<long, long>? Counted;

    /// <summary>Counts one edge event (rising edges only; falling ones are ignored).</summary>
    public void OnEdge(in GpioEdgeEvent edge)
    {
        if (edge.Edge != GpioEdges.Rising) return;
        long first, last;
        lock (_gate)
        {
            long add = _lastSequence == 0 || edge.Sequence <= _lastSequence ? 1 : (long)(edge.Sequence - _lastSequence);
            _lastSequence = edge.Sequence;
            first = _count + 1;
            for (long i = 0; i < add; i++) _times[(int)(++_count % _times.Length)] = edge.TimestampNs;
            last = _count;
        }
        var counted = Counted;
        if (counted is null) return;
        for (long c = first; c <= last; c++) counted(c, edge.TimestampNs);
    }

    /// <summary>Edges stamped at or before <paramref name="ns"/> (as far back as the history reaches).</summary>
    public long CountAt(long ns)
    {
        lock (_gate)
        {
            long c = _count;
            long oldest = Math.Max(1, _count - _times.Length + 1);
            while (c >= oldest && _times[(int)(c % _times.Length)] > ns) c--;
            return c;
        }
    }

    /// <summary>When count <paramref name="count"/> was reached; false if not yet (or too far back).</summary>
    public bool TryGetTimeOfCount(long count, out long ns)
    {
        lock (_gate)
        {
            if (count < 1 || count > _count || count <= _count - _times.Length) { ns = 0; return false; }
            ns = _times[(int)(count % _times.Length)];
            return true;
        }
    }

    /// <summary>
    /// When count <paramref name="count"/> was or will be reached: its time if it was, else the last edge's time plus
    /// the remaining counts at the mean period of the last <paramref name="window"/> edges (dead reckoning, for when
    /// the encoder can no longer be read). False with fewer than two edges, or a count older than the history.
    /// </summary>
    public bool TryEstimateTimeOfCount(long count, out long ns, int window = 64)
    {
        lock (_gate)
        {
            ns = 0;
            if (count <= _count)
            {
                if (count < 1 || count <= _count - _times.Length) return false;
                ns = _times[(int)(count % _times.Length)];
                return true;
            }
            long span = Math.Min(Math.Min(window, _times.Length - 1), _count - 1);
            if (span < 1) return false;
            long lastNs = _times[(int)(_count % _times.Length)];
            double period = (double)(lastNs - _times[(int)((_count - span) % _times.Length)]) / span;
            if (!(period > 0)) return false;
            ns = lastNs + (long)Math.Round((count - _count) * period);
            return true;
        }
    }

    /// <summary>Reads the line's edge events and counts them until <paramref name="ct"/> is cancelled (a board's encoder thread).</summary>
    public void Run(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
            if (_input.TryReadEdge(TimeSpan.FromMilliseconds(100), out var edge)) OnEdge(edge);
    }

    public void Dispose() => _input.Dispose();
}
