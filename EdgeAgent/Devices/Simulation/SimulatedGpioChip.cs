namespace Edge.Agent.Devices.Simulation;

/// <summary>A change of a simulated output line, seen by <see cref="SimulatedGpioChip.OnOutputChanged"/>.</summary>
/// <param name="PreviousChangeNs">When the line took its previous value (so a pulse's width is TimeNs − PreviousChangeNs).</param>
public readonly record struct SimulatedOutputChange(int Offset, long TimeNs, bool Value, long PreviousChangeNs);

/// <summary>
/// A GPIO chip in memory with a virtual clock (nanoseconds) that only moves when told to: by <see cref="AdvanceTo"/>,
/// by <see cref="WaitUntil"/>, or by <see cref="IGpioInput.TryReadEdge"/>, which jumps to the next scripted change
/// instead of sleeping. Input levels are scripted (<see cref="ScriptInput"/>) or driven by responders attached to
/// outputs (<see cref="OnOutputChanged"/>, <see cref="OnPulse"/>). Edge events follow the kernel's rules: only the
/// requested edges, logical edges for active-low lines, software debounce that swallows pulses shorter than the
/// period and reports a settled change one period after it, per-line sequence numbers from 1, and a 16-event
/// buffer that drops the oldest event when full. Outputs record every change. Requesting a busy line or a line
/// past <see cref="LineCount"/> throws <see cref="DeviceException"/> as the kernel's EBUSY/EINVAL would;
/// <see cref="FailInput"/> makes an input's reads fail as an unplugged chip's do (ENODEV).
/// Callbacks and scheduled actions run on the thread that moves the clock; drive one chip from one thread.
/// </summary>
public sealed class SimulatedGpioChip : IGpioChip, IGpioClock, IGpioEdgeNotifier
{
    /// <summary>The kernel's default event buffer per requested line (16 × lines).</summary>
    public const int EventBufferSize = 16;

    private readonly object _gate = new();
    private readonly LineState[] _lines;
    // Each arming is queued with the action's generation then; re-arming or cancelling bumps it, so an earlier arming
    // left in the queue is skipped when its time comes (cancelled ones stay queued until then, as on the real clock).
    private readonly PriorityQueue<(ScheduledAction Action, long Generation), (long AtNs, long Order)> _queue = new();
    private long _nowNs;
    private long _order;
    private bool _disposed;

    /// <param name="lineCount">Lines on the chip (54 like a Pi's pinctrl-bcm2711 by default).</param>
    /// <param name="startNs">The virtual clock's starting value; non-zero so "timestamp 0" bugs show.</param>
    public SimulatedGpioChip(int lineCount = 54, string name = "gpio-sim", long startNs = 1_000_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lineCount);
        ArgumentOutOfRangeException.ThrowIfNegative(startNs);
        Name = name;
        _nowNs = startNs;
        _lines = new LineState[lineCount];
        for (int i = 0; i < lineCount; i++) _lines[i] = new LineState();
    }

    public string Name { get; }
    public int LineCount => _lines.Length;

    public long NowNs
    {
        get { lock (_gate) return _nowNs; }
    }

    // ---- clock ----

    /// <summary>Moves the virtual clock to <paramref name="ns"/>, applying every scripted change and action due by then in time order.</summary>
    public void AdvanceTo(long ns)
    {
        lock (_gate)
        {
            if (ns < _nowNs) throw new ArgumentOutOfRangeException(nameof(ns), ns, $"the virtual clock is already at {_nowNs} ns and cannot go back");
            while (_queue.TryPeek(out _, out var due) && due.AtNs <= ns) RunNext();
            _nowNs = ns;
        }
    }

    /// <summary>Moves the virtual clock forward by <paramref name="duration"/>.</summary>
    public void Advance(TimeSpan duration) => AdvanceTo(NowNs + ToNs(duration));

    /// <summary>Advances the virtual clock (no sleeping); returns at once if <paramref name="ns"/> has passed.</summary>
    public void WaitUntil(long ns)
    {
        lock (_gate) if (ns > _nowNs) AdvanceTo(ns);
    }

    /// <summary>Runs <paramref name="action"/> when the virtual clock reaches <paramref name="atNs"/> (at once if it has).</summary>
    public IDisposable Schedule(long atNs, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_gate)
        {
            var scheduled = new ScheduledAction(this, action);
            Enqueue(scheduled, atNs);
            RunDueNow();
            return scheduled;
        }
    }

    /// <summary>A timer on the virtual clock; arming it allocates nothing (beyond the queue's growth).</summary>
    public GpioTimer CreateTimer(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return new ScheduledAction(this, action);
    }

    private void Enqueue(ScheduledAction scheduled, long atNs)
    {
        long at = Math.Max(atNs, _nowNs);
        _queue.Enqueue((scheduled, Interlocked.Increment(ref scheduled.Generation)), (at, _order++));
    }

    /// <summary>Changes still scheduled (scripted levels, responders' echoes, timers).</summary>
    public int PendingCount
    {
        get { lock (_gate) return _queue.Count; }
    }

    // ---- levels ----

    /// <summary>
    /// Scripts the physical level of input line <paramref name="offset"/> at absolute virtual times (ns, not before now).
    /// The line need not be requested yet.
    /// </summary>
    public void ScriptInput(int offset, params (long atNs, bool level)[] changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        lock (_gate)
        {
            var line = Line(offset);
            if (line.Output is not null) throw new InvalidOperationException($"{Name} line {offset} is requested as an output; only inputs can be scripted");
            foreach (var (atNs, level) in changes)
            {
                if (atNs < _nowNs)
                    throw new ArgumentOutOfRangeException(nameof(changes), atNs, $"line {offset}: a change at {atNs} ns lies before the virtual clock ({_nowNs} ns)");
                Enqueue(new ScheduledAction(this, () => SetPhysical(offset, level)), atNs);
            }
            RunDueNow();
        }
    }

    /// <summary>Scripts a pulse of <paramref name="level"/> on input <paramref name="offset"/> from <paramref name="startNs"/> for <paramref name="widthNs"/>.</summary>
    public void ScriptPulse(int offset, long startNs, long widthNs, bool level = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(widthNs);
        ScriptInput(offset, (startNs, level), (startNs + widthNs, !level));
    }

    /// <summary>The physical level on line <paramref name="offset"/> now (before active-low inversion).</summary>
    public bool GetLevel(int offset)
    {
        lock (_gate) return Line(offset).Physical;
    }

    /// <summary>Every value output line <paramref name="offset"/> has taken, with the virtual time it took it (the request's initial value first).</summary>
    public IReadOnlyList<(long TimeNs, bool Value)> History(int offset)
    {
        lock (_gate) return Line(offset).History.ToArray();
    }

    /// <summary>Whether line <paramref name="offset"/> is currently requested.</summary>
    public bool IsRequested(int offset)
    {
        lock (_gate)
        {
            var line = Line(offset);
            return line.Input is not null || line.Output is not null;
        }
    }

    /// <summary>Calls <paramref name="callback"/> whenever output <paramref name="offset"/> changes value; dispose to detach.</summary>
    public IDisposable OnOutputChanged(int offset, Action<SimulatedOutputChange> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (_gate)
        {
            var line = Line(offset);
            line.Watchers.Add(callback);
            return new Subscription(() => { lock (_gate) line.Watchers.Remove(callback); });
        }
    }

    /// <summary>
    /// Calls <paramref name="callback"/> with every edge event input <paramref name="offset"/> reports (requested edges,
    /// after debounce), at the edge's virtual time, on the thread that moves the clock; the event is queued for
    /// <see cref="IGpioInput.TryReadEdge"/> as well. Stands in for a thread that reads a line's events as they come
    /// (an encoder). Dispose to detach.
    /// </summary>
    public IDisposable OnInputEdge(int offset, Action<GpioEdgeEvent> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (_gate)
        {
            var line = Line(offset);
            line.EdgeWatchers.Add(callback);
            return new Subscription(() => { lock (_gate) line.EdgeWatchers.Remove(callback); });
        }
    }

    /// <summary>
    /// While <paramref name="failed"/>, reading input <paramref name="offset"/> (<see cref="IGpioInput.Read"/>,
    /// <see cref="IGpioInput.TryReadEdge"/>) throws the <see cref="DeviceException"/> a kernel chip throws when its
    /// line's file stops working (ENODEV: the chip was unbound or unplugged). Requesting the line still succeeds.
    /// </summary>
    public void FailInput(int offset, bool failed = true)
    {
        lock (_gate) Line(offset).ReadsFail = failed;
    }

    /// <summary>
    /// Calls <paramref name="respond"/>(startNs, endNs) when output <paramref name="offset"/> ends a pulse at
    /// <paramref name="level"/> that lasted at least <paramref name="minWidthNs"/> (e.g. a trigger held high ≥ 10 µs then
    /// dropped). The responder typically scripts inputs relative to endNs.
    /// </summary>
    public IDisposable OnPulse(int offset, long minWidthNs, Action<long, long> respond, bool level = true)
    {
        ArgumentNullException.ThrowIfNull(respond);
        return OnOutputChanged(offset, change =>
        {
            if (change.Value != level && change.TimeNs - change.PreviousChangeNs >= minWidthNs)
                respond(change.PreviousChangeNs, change.TimeNs);
        });
    }

    // ---- IGpioChip ----

    public IGpioOutput RequestOutput(int offset, bool initialValue, string consumer)
    {
        lock (_gate)
        {
            var line = Claim(offset);
            var output = new SimulatedOutput(this, offset);
            line.Output = output;
            line.Consumer = consumer;
            line.History.Clear();
            WriteOutput(offset, initialValue, force: true);
            return output;
        }
    }

    public IGpioInput RequestInput(int offset, GpioInputOptions options, string consumer)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Debounce < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), options.Debounce, "Debounce must not be negative");
        lock (_gate)
        {
            var line = Claim(offset);
            var input = new SimulatedInput(this, offset, options) { Reported = line.Physical };
            line.Input = input;
            line.Consumer = consumer;
            return input;
        }
    }

    public void Dispose()
    {
        lock (_gate) _disposed = true;
    }

    // ---- internals (all under _gate) ----

    private LineState Line(int offset)
    {
        if ((uint)offset >= (uint)_lines.Length)
            throw new DeviceException($"{Name}: line {offset} does not exist: the chip has lines 0..{_lines.Length - 1} (EINVAL)");
        return _lines[offset];
    }

    private LineState Claim(int offset)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var line = Line(offset);
        if (line.Input is not null || line.Output is not null)
            throw new DeviceException($"{Name}: line {offset} is busy: already requested by \"{line.Consumer}\" (EBUSY)");
        return line;
    }

    private void Release(int offset, object request)
    {
        lock (_gate)
        {
            var line = _lines[offset];
            if (ReferenceEquals(line.Input, request)) line.Input = null;
            if (ReferenceEquals(line.Output, request)) line.Output = null;
        }
    }

    private void RunNext()
    {
        _queue.TryDequeue(out var next, out var due);
        if (Volatile.Read(ref next.Action.Generation) != next.Generation) return; // re-armed or cancelled since
        _nowNs = Math.Max(_nowNs, due.AtNs);
        next.Action.Action();
    }

    private void RunDueNow()
    {
        while (_queue.TryPeek(out _, out var due) && due.AtNs <= _nowNs) RunNext();
    }

    private void SetPhysical(int offset, bool level)
    {
        var line = _lines[offset];
        if (line.Physical == level) return;
        line.Physical = level;
        var input = line.Input;
        if (input is null) return;
        if (input.DebounceNs == 0)
        {
            input.Reported = level;
            input.Emit(_nowNs, level);
            return;
        }
        // Kernel software debounce: every change restarts the period; when it expires the settled level is
        // compared with the last reported one, so a bounce back within the period produces nothing.
        long generation = ++input.DebounceGeneration;
        var check = new ScheduledAction(this, () =>
        {
            if (!ReferenceEquals(line.Input, input) || input.DebounceGeneration != generation) return;
            if (input.Reported == line.Physical) return;
            input.Reported = line.Physical;
            input.Emit(_nowNs, line.Physical);
        });
        Enqueue(check, _nowNs + input.DebounceNs);
    }

    private void WriteOutput(int offset, bool value, bool force = false)
    {
        var line = _lines[offset];
        if (!force && line.Physical == value) return;
        long previous = line.History.Count > 0 ? line.History[^1].TimeNs : _nowNs;
        line.Physical = value;
        line.History.Add((_nowNs, value));
        if (force) return; // the request's initial value is not a change
        var change = new SimulatedOutputChange(offset, _nowNs, value, previous);
        foreach (var watcher in line.Watchers.ToArray()) watcher(change);
    }

    private bool TryReadEdge(SimulatedInput input, TimeSpan timeout, out GpioEdgeEvent edge)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_lines[input.Offset].Input, input)) throw new ObjectDisposedException($"{Name} line {input.Offset}");
            ThrowIfReadsFail(input.Offset, "read gpio_v2_line_event");
            if (input.Edges == GpioEdges.None)
                throw new InvalidOperationException($"{Name} line {input.Offset} was requested without edge detection (GpioInputOptions.Edges = None)");
            bool forever = timeout == Timeout.InfiniteTimeSpan;
            long deadline = forever ? long.MaxValue : _nowNs + ToNs(timeout);
            while (input.Events.Count == 0 && _queue.TryPeek(out _, out var due) && due.AtNs <= deadline)
            {
                RunNext();
                if (input.Events.Count > 0) RunDueNow(); // settle everything else happening at the same instant
            }
            if (input.Events.TryDequeue(out edge)) return true;
            if (forever)
                throw new InvalidOperationException($"{Name} line {input.Offset}: waiting forever for an edge, but nothing more is scheduled on the virtual clock");
            _nowNs = deadline;
            return false;
        }
    }

    private void ThrowIfReadsFail(int offset, string operation)
    {
        if (_lines[offset].ReadsFail) throw new DeviceException($"{Name} line {offset}: {operation} failed: No such device (errno 19)");
    }

    private static long ToNs(TimeSpan t)
    {
        if (t < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(t), t, "a duration on the virtual clock must not be negative");
        return t.Ticks * 100;
    }

    private sealed class LineState
    {
        public bool Physical;
        public bool ReadsFail;
        public SimulatedInput? Input;
        public SimulatedOutput? Output;
        public string Consumer = "";
        public readonly List<(long TimeNs, bool Value)> History = [];
        public readonly List<Action<SimulatedOutputChange>> Watchers = [];
        public readonly List<Action<GpioEdgeEvent>> EdgeWatchers = [];
    }

    // A scheduled action, and the timer CreateTimer gives. Cancelling takes no lock (a caller may hold its own lock
    // that an action running under the chip's lock needs).
    private sealed class ScheduledAction(SimulatedGpioChip chip, Action action) : GpioTimer
    {
        public readonly Action Action = action;
        public long Generation;

        public override void Arm(long atNs)
        {
            lock (chip._gate)
            {
                chip.Enqueue(this, atNs);
                chip.RunDueNow();
            }
        }

        public override void Cancel() => Interlocked.Increment(ref Generation);
    }

    private sealed class Subscription(Action unsubscribe) : IDisposable
    {
        private Action? _unsubscribe = unsubscribe;
        public void Dispose() => Interlocked.Exchange(ref _unsubscribe, null)?.Invoke();
    }

    private sealed class SimulatedOutput(SimulatedGpioChip chip, int offset) : IGpioOutput
    {
        private bool _released;

        public int Offset => offset;

        public bool Value
        {
            get { lock (chip._gate) return chip._lines[offset].Physical; }
        }

        public void Write(bool value)
        {
            lock (chip._gate)
            {
                ObjectDisposedException.ThrowIf(_released, this);
                chip.WriteOutput(offset, value);
            }
        }

        public void Dispose()
        {
            _released = true;
            chip.Release(offset, this);
        }
    }

    private sealed class SimulatedInput(SimulatedGpioChip chip, int offset, GpioInputOptions options) : IGpioInput
    {
        public readonly Queue<GpioEdgeEvent> Events = new();
        public readonly GpioEdges Edges = options.Edges;
        public readonly long DebounceNs = options.Debounce.Ticks * 100;
        public bool Reported;
        public long DebounceGeneration;
        private ulong _sequence;

        public int Offset => offset;

        /// <summary>The logical level: debounced when a debounce period is set, inverted for active-low.</summary>
        public bool Read()
        {
            lock (chip._gate)
            {
                chip.ThrowIfReadsFail(offset, "GPIO_V2_LINE_GET_VALUES");
                bool physical = DebounceNs > 0 ? Reported : chip._lines[offset].Physical;
                return physical ^ options.ActiveLow;
            }
        }

        public bool TryReadEdge(TimeSpan timeout, out GpioEdgeEvent edge) => chip.TryReadEdge(this, timeout, out edge);

        public void Emit(long timeNs, bool physical)
        {
            var kind = physical ^ options.ActiveLow ? GpioEdges.Rising : GpioEdges.Falling;
            if ((Edges & kind) == 0) return;
            if (Events.Count == EventBufferSize) Events.Dequeue(); // the kernel drops the oldest on overflow
            var edge = new GpioEdgeEvent(offset, kind, timeNs, ++_sequence);
            Events.Enqueue(edge);
            var watchers = chip._lines[offset].EdgeWatchers;
            for (int i = 0; i < watchers.Count; i++) watchers[i](edge);
        }

        public void Dispose() => chip.Release(offset, this);
    }
}
