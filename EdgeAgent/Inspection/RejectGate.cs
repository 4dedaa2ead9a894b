using Edge.Agent.Devices;
using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Linux;

namespace Edge.Agent.Inspection;

/// <summary>What the gate did with one part.</summary>
public enum GateOutcome
{
    /// <summary>Judged good in time: no pulse.</summary>
    Passed,
    /// <summary>Judged defective in time: the reject pulse is scheduled for trigger + delay.</summary>
    Rejected,
    /// <summary>No decision by the deadline and the policy is <see cref="FailSafePolicy.Reject"/>: rejected unchecked.</summary>
    LateRejected,
    /// <summary>No decision by the deadline and the policy is <see cref="FailSafePolicy.PassAndAlert"/>: let through, alert raised.</summary>
    LatePassed,
}

/// <summary>
/// When things are due for one part, on the chip's clock (ns). With encoder timing the times are not known in advance
/// (−1) and the counts say when: the deadline is the edge reaching <see cref="DeadlineCount"/>, the pulse starts at the
/// edge reaching <see cref="RejectAtCount"/> (both −1 with delay timing).
/// </summary>
public readonly record struct PartTiming(long PartId, long TriggerNs, long DeadlineNs, long RejectAtNs, long TriggerCount = -1,
    long DeadlineCount = -1, long RejectAtCount = -1);

/// <summary>A reject pulse that was started: which part, when it was triggered, when the pulse began.</summary>
public readonly record struct RejectPulse(long PartId, long TriggerNs, long StartNs, GateOutcome Outcome);

/// <summary>
/// Fires the reject actuator for defective parts at trigger + <see cref="InspectionOptions.RejectDelay"/> (or, with
/// <see cref="InspectionOptions.RejectAfterCounts"/>, at the encoder edge N counts after the trigger), on the clock
/// that stamps the photo-eye's edges (so it is exact on the simulator's virtual clock and timer-accurate on a board).
/// Each part is registered at its trigger, which arms a deadline check at reject time − actuator lead; a decision
/// that arrives by then schedules the pulse (or nothing), one that does not gets the fail-safe policy. A part's
/// outcome is settled once and its pulse starts at most once. Safe to call from the photo-eye thread while
/// timers run on others. Slots are recycled, so steady-state operation allocates nothing here.
/// </summary>
public sealed class RejectGate
{
    private readonly object _gate = new();
    private readonly DigitalOutput _actuator;
    private readonly IGpioChip _chip;
    private readonly IGpioClock _clock;
    private readonly Slot[] _slots;
    private readonly long _delayNs, _leadNs;
    private readonly TimeSpan _pulseWidth;
    private Encoder? _encoder;     // counting: pulses start at encoder edges
    private Encoder? _reckoned;    // the encoder stopped being read: parts in flight are timed from its last speed
    private readonly int _counts, _leadCounts;

    /// <param name="inFlight">Most parts between the photo-eye and the actuator at once (slots kept).</param>
    /// <param name="encoder">The belt encoder; required when <see cref="InspectionOptions.RejectAfterCounts"/> is above 0.</param>
    public RejectGate(IGpioChip chip, DigitalOutput actuator, InspectionOptions options, int inFlight = 256, Encoder? encoder = null)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(actuator);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(inFlight, 1);
        options.Validate();
        _chip = chip;
        _clock = MonotonicGpioClock.For(chip);
        _actuator = actuator;
        Policy = options.LatePolicy;
        _delayNs = options.RejectDelay.Ticks * 100;
        _leadNs = options.ActuatorLead.Ticks * 100;
        _pulseWidth = options.PulseWidth;
        _slots = new Slot[inFlight];
        for (int i = 0; i < inFlight; i++) _slots[i] = new Slot(this);
        if (options.UsesEncoder)
        {
            _encoder = encoder ?? throw new ArgumentException($"inspection option RejectAfterCounts = {options.RejectAfterCounts} needs an encoder, and none was given", nameof(encoder));
            _counts = options.RejectAfterCounts;
            _leadCounts = options.ActuatorLeadCounts;
            _encoder.Counted += OnCount;
        }
    }

    /// <summary>Whether pulses are timed by encoder counts (also after <see cref="DeadReckon"/>, which estimates their times).</summary>
    public bool UsesEncoder => _encoder is not null || _reckoned is not null;

    /// <summary>After <see cref="DeadReckon"/>: the latest estimated reject time of a part then in flight (chip clock, ns); else null.</summary>
    public long? ReckonedUntilNs { get; private set; }

    public FailSafePolicy Policy { get; }

    /// <summary>Raised (on the clock's thread) when a reject pulse starts.</summary>
    public event Action<RejectPulse>? PulseStarted;

    /// <summary>Pulses started so far.</summary>
    public long Pulses { get; private set; }

    /// <summary>Parts whose decision missed the deadline so far.</summary>
    public long LateDecisions { get; private set; }

    /// <summary>Registers a part at its trigger and arms its deadline check.</summary>
    /// <exception cref="InvalidOperationException">more parts are in flight than the gate has slots for.</exception>
    public PartTiming Register(long partId, long triggerNs)
    {
        PartTiming timing;
        bool started = false;
        RejectPulse pulse = default;
        lock (_gate)
        {
            var slot = _slots[(int)((ulong)partId % (ulong)_slots.Length)];
            if (slot.Busy)
                throw new InvalidOperationException($"reject gate: part {partId} arrives while part {slot.PartId} (trigger {slot.TriggerNs} ns) is still in flight; more than {_slots.Length} parts between photo-eye and actuator");
            slot.Cancel();
            slot.InUse = true;
            slot.Settled = false;
            slot.Decided = false;
            slot.Started = false;
            slot.PartId = partId;
            slot.TriggerNs = triggerNs;
            slot.Outcome = GateOutcome.Passed;
            if (_encoder is { } encoder)
            {
                slot.RejectAtNs = slot.DeadlineNs = -1;
                slot.TriggerCount = encoder.CountAt(triggerNs);
                slot.RejectAtCount = slot.TriggerCount + _counts;
                slot.DeadlineCount = slot.RejectAtCount - _leadCounts;
                // The belt may already have run past the deadline (a trigger handed in late).
                timing = new PartTiming(partId, triggerNs, -1, -1, slot.TriggerCount, slot.DeadlineCount, slot.RejectAtCount);
                if (encoder.Count >= slot.DeadlineCount) started = ApplyFailSafe(slot, out pulse);
            }
            else if (_reckoned is { } reckoned)
            {
                // A trigger handed in after the encoder stopped: its counts from the history, its times estimated.
                slot.TriggerCount = reckoned.CountAt(triggerNs);
                slot.RejectAtCount = slot.TriggerCount + _counts;
                slot.DeadlineCount = slot.RejectAtCount - _leadCounts;
                Estimate(reckoned, slot);
                slot.DeadlineTimer.Arm(slot.DeadlineNs);
                timing = new PartTiming(partId, triggerNs, slot.DeadlineNs, slot.RejectAtNs, slot.TriggerCount, slot.DeadlineCount, slot.RejectAtCount);
                ReckonedUntilNs = Math.Max(ReckonedUntilNs ?? 0, slot.RejectAtNs);
            }
            else
            {
                slot.TriggerCount = slot.DeadlineCount = slot.RejectAtCount = -1;
                slot.RejectAtNs = triggerNs + _delayNs;
                slot.DeadlineNs = slot.RejectAtNs - _leadNs;
                slot.DeadlineTimer.Arm(slot.DeadlineNs);
                timing = new PartTiming(partId, triggerNs, slot.DeadlineNs, slot.RejectAtNs);
            }
        }
        if (started) PulseStarted?.Invoke(pulse);
        return timing;
    }

    /// <summary>
    /// Hands the gate the decision for <paramref name="partId"/>, made at <paramref name="decidedAtNs"/> on the chip's
    /// clock. In time: schedules the pulse for a defective part. Late: the fail-safe outcome stands (or is applied now,
    /// if the deadline timer has not run yet). Returns the part's outcome.
    /// </summary>
    /// <exception cref="InvalidOperationException">the part is unknown, or was already decided.</exception>
    public GateOutcome Decide(long partId, bool defective, long decidedAtNs)
    {
        GateOutcome outcome;
        bool started = false;
        RejectPulse pulse = default;
        lock (_gate)
        {
            var slot = _slots[(int)((ulong)partId % (ulong)_slots.Length)];
            if (!slot.InUse || slot.PartId != partId)
                throw new InvalidOperationException($"reject gate: part {partId} was not registered (or its slot was reused)");
            if (slot.Decided) throw new InvalidOperationException($"reject gate: part {partId} was already decided");
            slot.Decided = true;
            if (!slot.Settled && IsLate(slot, decidedAtNs)) started = ApplyFailSafe(slot, out pulse);
            if (!slot.Settled)
            {
                slot.Cancel();
                slot.Settled = true;
                slot.Outcome = defective ? GateOutcome.Rejected : GateOutcome.Passed;
                if (defective)
                {
                    if (_encoder is null) slot.FireTimer.Arm(slot.RejectAtNs);
                    else if (_encoder.Count >= slot.RejectAtCount) started = TryStart(slot, out pulse); // lead 0: decided at the very edge that fires
                }
            }
            outcome = slot.Outcome;
        }
        // Listeners run outside the lock, so a slow one cannot hold up the clock, the encoder or the next decision.
        if (started) PulseStarted?.Invoke(pulse);
        return outcome;
    }

    private bool IsLate(Slot slot, long decidedAtNs)
    {
        if (_encoder is null) return decidedAtNs > slot.DeadlineNs;
        // Late when the deadline edge has come and the decision was made after it.
        return _encoder.TryGetTimeOfCount(slot.DeadlineCount, out long deadlineNs) && decidedAtNs > deadlineNs;
    }

    /// <summary>Settles a late part by the policy; true when that started its pulse now (encoder timing at or past its edge). Caller holds the lock.</summary>
    private bool ApplyFailSafe(Slot slot, out RejectPulse pulse)
    {
        pulse = default;
        slot.Cancel();
        slot.Settled = true;
        LateDecisions++;
        if (Policy != FailSafePolicy.Reject)
        {
            slot.Outcome = GateOutcome.LatePassed;
            return false;
        }
        slot.Outcome = GateOutcome.LateRejected;
        if (_encoder is null)
        {
            slot.FireTimer.Arm(slot.RejectAtNs);
            return false;
        }
        return _encoder.Count >= slot.RejectAtCount && TryStart(slot, out pulse);
    }

    private void Deadline(Slot slot)
    {
        bool started = false;
        RejectPulse pulse = default;
        lock (_gate)
        {
            // A timer that outlived its part (a recycled slot) finds a later deadline and does nothing.
            if (!slot.InUse || slot.Settled || _chip.NowNs < slot.DeadlineNs) return;
            started = ApplyFailSafe(slot, out pulse);
        }
        if (started) PulseStarted?.Invoke(pulse);
    }

    /// <summary>
    /// The encoder can no longer be read (its reader failed): from now on the parts in flight are timed by the clock,
    /// each deadline and reject at the time its count would be reached at the encoder's last measured speed
    /// (<see cref="Encoder.TryEstimateTimeOfCount"/>), so a defective part already past the camera is still rejected
    /// if the belt keeps its speed. Without a speed to go by (fewer than two edges) they are due at once. Returns how
    /// many parts were re-timed; <see cref="ReckonedUntilNs"/> says until when the last one may pulse.
    /// </summary>
    public int DeadReckon()
    {
        lock (_gate)
        {
            if (_encoder is not { } encoder) return 0;
            encoder.Counted -= OnCount;
            _encoder = null;
            _reckoned = encoder;
            long until = _chip.NowNs;
            int parts = 0;
            foreach (var slot in _slots)
            {
                if (!slot.InUse || slot.Started || (slot.Settled && !slot.RejectsPart)) continue;
                Estimate(encoder, slot);
                if (!slot.Settled) slot.DeadlineTimer.Arm(slot.DeadlineNs);
                else slot.FireTimer.Arm(slot.RejectAtNs);
                until = Math.Max(until, slot.RejectAtNs);
                parts++;
            }
            ReckonedUntilNs = until;
            return parts;
        }
    }

    private void Estimate(Encoder encoder, Slot slot)
    {
        long now = _chip.NowNs;
        slot.RejectAtNs = encoder.TryEstimateTimeOfCount(slot.RejectAtCount, out long r) ? r : now;
        slot.DeadlineNs = encoder.TryEstimateTimeOfCount(slot.DeadlineCount, out long d) ? Math.Min(d, slot.RejectAtNs) : now;
    }

    // The pulses one encoder edge started, raised after the lock is released; one list per delivering thread.
    [ThreadStatic] private static List<RejectPulse>? t_started;

    // Encoder timing: every count may be a part's deadline or its reject edge. Runs on the thread delivering edges.
    private void OnCount(long count, long timestampNs)
    {
        var started = t_started ??= new List<RejectPulse>(16);
        started.Clear();
        lock (_gate)
        {
            if (_encoder is null) return; // dead reckoning: an edge that raced DeadReckon
            foreach (var slot in _slots)
            {
                if (!slot.InUse || slot.Started) continue;
                if (!slot.Settled && count >= slot.DeadlineCount && ApplyFailSafe(slot, out var late))
                {
                    started.Add(late);
                    continue;
                }
                if (slot.Settled && slot.RejectsPart && !slot.Started && count >= slot.RejectAtCount && TryStart(slot, out var pulse))
                    started.Add(pulse);
            }
        }
        if (PulseStarted is { } handler)
            foreach (var pulse in started) handler(pulse);
        started.Clear();
    }

    // The timer path (delay timing).
    private void Fire(Slot slot)
    {
        bool started;
        RejectPulse pulse;
        lock (_gate) started = TryStart(slot, out pulse);
        if (started) PulseStarted?.Invoke(pulse);
    }

    /// <summary>Starts the slot's pulse unless it is no longer due. Caller holds the lock; the event is the caller's to raise after it.</summary>
    private bool TryStart(Slot slot, out RejectPulse pulse)
    {
        pulse = default;
        if (!slot.InUse || !slot.Settled || slot.Started || !slot.RejectsPart) return false;
        slot.Started = true;
        _actuator.Pulse(_pulseWidth);
        Pulses++;
        pulse = new RejectPulse(slot.PartId, slot.TriggerNs, _chip.NowNs, slot.Outcome);
        return true;
    }

    private sealed class Slot
    {
        public long PartId = -1, TriggerNs, DeadlineNs, RejectAtNs, TriggerCount, DeadlineCount, RejectAtCount;
        public bool InUse, Decided, Settled, Started;
        public GateOutcome Outcome;
        // Created once per slot and armed per part, so registering and deciding a part allocate nothing.
        public readonly GpioTimer DeadlineTimer, FireTimer;

        public Slot(RejectGate gate)
        {
            DeadlineTimer = gate._clock.CreateTimer(() => gate.Deadline(this));
            FireTimer = gate._clock.CreateTimer(() => gate.Fire(this));
        }

        public bool RejectsPart => Outcome is GateOutcome.Rejected or GateOutcome.LateRejected;

        /// <summary>Still waiting for a decision, or for a pulse it must start.</summary>
        public bool Busy => InUse && (!Settled || (RejectsPart && !Started));

        public void Cancel() => DeadlineTimer.Cancel();
    }
}
