namespace Edge.Agent.Inspection;

/// <summary>One shift's (or one minute's) totals, copied out of <see cref="ShiftCounters"/>.</summary>
public sealed record ShiftTotals(
    DateTimeOffset Start, DateTimeOffset End, long Parts, long Defective, long Rejected, long LateDecisions,
    long FailSafeRejects, long LatePassed, IReadOnlyDictionary<string, long> DefectsByClass)
{
    /// <summary>Good parts ÷ parts (1 when no part was seen).</summary>
    public double Yield => Parts == 0 ? 1 : (double)(Parts - Defective) / Parts;
}

/// <summary>
/// Counts parts, defective parts, defects by class, rejects and late decisions for the current period. Periods are
/// shifts starting at the configured local times of day, or (for the per-minute summary) whole minutes. Recording a
/// part past the period's end closes it and returns its totals. Recording allocates nothing.
/// </summary>
public sealed class ShiftCounters
{
    private readonly IReadOnlyList<string> _labels;
    private readonly TimeOnly[] _starts;
    private readonly TimeSpan? _fixedLength;
    private readonly long[] _byClass;
    private long _parts, _defective, _rejected, _late, _failSafeRejects, _latePassed;

    /// <summary>Counters for shifts that start at <paramref name="shiftStarts"/> (local time of day; empty = one shift a day at midnight).</summary>
    public ShiftCounters(IReadOnlyList<string> labels, IReadOnlyList<TimeOnly> shiftStarts)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(shiftStarts);
        _labels = labels;
        _byClass = new long[labels.Count];
        _starts = shiftStarts.Count == 0 ? [TimeOnly.MinValue] : [.. shiftStarts.Order()];
    }

    private ShiftCounters(IReadOnlyList<string> labels, TimeSpan period)
    {
        _labels = labels;
        _byClass = new long[labels.Count];
        _starts = [];
        _fixedLength = period;
    }

    /// <summary>Counters over fixed periods (a minute for the summary), aligned to whole periods since midnight UTC.</summary>
    public static ShiftCounters Every(IReadOnlyList<string> labels, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        return new ShiftCounters(labels, period);
    }

    public DateTimeOffset Start { get; private set; } = DateTimeOffset.MinValue;
    public DateTimeOffset End { get; private set; } = DateTimeOffset.MinValue;
    public long Parts => _parts;
    public long Defective => _defective;
    public double Yield => _parts == 0 ? 1 : (double)(_parts - _defective) / _parts;

    /// <summary>
    /// Counts one part seen at <paramref name="at"/>; <paramref name="defectsByClass"/> holds its counted defects per
    /// class id. Returns the totals of the period that just closed when <paramref name="at"/> starts a new one.
    /// </summary>
    public ShiftTotals? Record(DateTimeOffset at, ReadOnlySpan<int> defectsByClass, GateOutcome outcome, bool defective)
    {
        var closed = Roll(at);
        _parts++;
        if (defective) _defective++;
        for (int i = 0; i < defectsByClass.Length && i < _byClass.Length; i++) _byClass[i] += defectsByClass[i];
        switch (outcome)
        {
            case GateOutcome.Rejected: _rejected++; break;
            case GateOutcome.LateRejected: _rejected++; _late++; _failSafeRejects++; break;
            case GateOutcome.LatePassed: _late++; _latePassed++; break;
        }
        return closed;
    }

    /// <summary>Closes the period if <paramref name="now"/> lies past it (for a summary when no part came); returns its totals.</summary>
    public ShiftTotals? Roll(DateTimeOffset now)
    {
        if (now >= Start && now < End) return null;
        ShiftTotals? closed = Start == DateTimeOffset.MinValue ? null : Snapshot();
        (Start, End) = PeriodOf(now);
        _parts = _defective = _rejected = _late = _failSafeRejects = _latePassed = 0;
        Array.Clear(_byClass);
        return closed;
    }

    /// <summary>The totals so far in the current period.</summary>
    public ShiftTotals Snapshot()
    {
        var byClass = new Dictionary<string, long>(_labels.Count);
        for (int i = 0; i < _labels.Count; i++) byClass[_labels[i]] = _byClass[i];
        return new ShiftTotals(Start, End, _parts, _defective, _rejected, _late, _failSafeRejects, _latePassed, byClass);
    }

    /// <summary>The period holding <paramref name="at"/>: [start, end).</summary>
    public (DateTimeOffset Start, DateTimeOffset End) PeriodOf(DateTimeOffset at)
    {
        if (_fixedLength is { } length)
        {
            long ticks = at.UtcTicks - at.UtcTicks % length.Ticks;
            var start = new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(at.Offset);
            return (start, start + length);
        }
        var day = at.Date;
        var time = TimeOnly.FromDateTime(at.DateTime);
        int i = _starts.Length - 1;
        while (i >= 0 && _starts[i] > time) i--;
        DateTime startLocal = i >= 0 ? day + _starts[i].ToTimeSpan() : day.AddDays(-1) + _starts[^1].ToTimeSpan();
        DateTime endLocal = i + 1 < _starts.Length ? day + _starts[i + 1].ToTimeSpan()
                          : (i >= 0 ? day.AddDays(1) : day) + _starts[0].ToTimeSpan();
        return (new DateTimeOffset(startLocal, at.Offset), new DateTimeOffset(endLocal, at.Offset));
    }
}
