using System.Diagnostics;
using Edge.Agent.Devices;
using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Linux;
using Edge.Models.Detection;
using Edge.Models.Imaging;
using Microsoft.Extensions.Logging;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Inspection;

/// <summary>Gives the frame of the part that broke the photo-eye beam at <c>triggerNs</c>.</summary>
public interface IPartCamera
{
    /// <summary>The frame; owned by the camera and valid until the next call.</summary>
    ImageBuffer Capture(long triggerNs);
}

/// <summary>Finds defects in a part's frame.</summary>
public interface IPartInspector
{
    IReadOnlyList<string> Labels { get; }
    /// <summary>Appends the detections in <paramref name="frame"/>; returns the milliseconds spent inside the model.</summary>
    double Inspect(ImageBuffer frame, List<Det> detections);
}

/// <summary>The detector as an <see cref="IPartInspector"/> (does not own it).</summary>
public sealed class DetectorInspector(ObjectDetector detector) : IPartInspector
{
    public IReadOnlyList<string> Labels { get; } = detector.Labels.Names;
    public double Inspect(ImageBuffer frame, List<Det> detections) => detector.DetectInto(frame, detections).ModelMs;
}

/// <summary>Where a line's results go (MQTT through the outbox, a log, a test).</summary>
public interface IInspectionSink
{
    /// <summary>A part judged defective (or failed-safe); <see cref="DefectEvent.Defects"/> is a copy the sink may keep.</summary>
    void OnDefect(DefectEvent e);
    /// <summary>A closed minute (or shift) with its totals and the current shift's.</summary>
    void OnSummary(string line, ShiftTotals minute, ShiftTotals shift);
}

/// <summary>What the line decided for one part. Times are on the chip's clock (ns).</summary>
public readonly record struct PartVerdict(
    long PartId, long TriggerNs, long DecidedNs, long DeadlineNs, long RejectAtNs, int Defects, GateOutcome Outcome,
    double ComputeMs, double ModelMs)
{
    public bool Defective => Defects > 0;
    public bool Late => Outcome is GateOutcome.LateRejected or GateOutcome.LatePassed;
    public double TriggerToDecisionMs => (DecidedNs - TriggerNs) / 1e6;
}

/// <summary>
/// Managed bytes the line's own work allocated on its thread (capture, detect, rules, gate, counters, light, event),
/// apart from the time spent waiting on the chip's clock (on the simulator, the rest of the simulated world runs there;
/// on a board, timer actions such as the reject pulse run on the GPIO timer thread). <see cref="LastAllocatingPart"/>
/// is the id of the last good part that allocated anything: a small one means warm-up. The minute's summary, sent from
/// the part that closes the minute, is counted apart (<see cref="SummaryBytes"/>).
/// </summary>
public readonly record struct LineAllocations(long GoodParts, long GoodPartsAllocating, long LastAllocatingPart, long GoodBytes, long OtherParts, long OtherBytes, long SummaryBytes)
{
    /// <summary>Mean bytes per defective or late part (its event and, with snapshots, the snapshot's name).</summary>
    public double OtherBytesPerPart => OtherParts == 0 ? 0 : (double)OtherBytes / OtherParts;
}

/// <summary>A defective (or late) part, for the defect event.</summary>
public sealed record DefectEvent(
    string Line, long PartId, DateTimeOffset TriggeredAt, double TriggerToDecisionMs, GateOutcome Outcome,
    IReadOnlyList<Det> Defects, string? Snapshot);

/// <summary>
/// One inspection line: photo-eye edge (kernel timestamp) → capture → detect → rules → reject gate → counters, stack
/// light, snapshot and events. Trigger-to-decision time is the compute time measured with <see cref="TimeProvider"/>
/// and laid onto the chip's clock (<see cref="IGpioClock.WaitUntil"/>: a no-op on a board, where real time has
/// passed; an advance on the simulator), so the gate judges lateness on real compute time either way. Inspecting a
/// good part allocates nothing; defective parts allocate their event and snapshot name (the frame is copied into a
/// reused buffer and written by the <see cref="SnapshotWriter"/>'s thread). One thread drives a line; dispose it to
/// write the snapshots still queued.
/// </summary>
public sealed class InspectionLine : IDisposable
{
    private readonly InspectionOptions _options;
    private readonly IGpioChip _chip;
    private readonly IGpioClock _clock;
    private readonly IPartCamera _camera;
    private readonly IPartInspector _inspector;
    private readonly DecisionRules _rules;
    private readonly RejectGate _gate;
    private readonly LineHealth _health;
    private readonly StackLight? _light;
    private readonly SnapshotWriter? _snapshots;
    private readonly IInspectionSink? _sink;
    private readonly TimeProvider _time;
    private readonly Func<long, DateTimeOffset> _wallClock;
    private readonly List<Det> _detections = new(64);
    private readonly int[] _partDefects;
    private readonly long _debounceNs;
    private long _nextPartId;
    private LineAllocations _allocations;

    /// <param name="wallClock">Maps the chip's clock to wall time (shifts, minutes, event stamps); default: now − elapsed.</param>
    /// <param name="time">Measures compute time (default <see cref="TimeProvider.System"/>).</param>
    /// <param name="encoder">The belt encoder, for <see cref="InspectionOptions.RejectAfterCounts"/>.</param>
    /// <param name="logger">For the snapshot writer's drops and write errors.</param>
    public InspectionLine(InspectionOptions options, IGpioChip chip, DigitalOutput rejectActuator, IPartCamera camera,
        IPartInspector inspector, StackLight? light = null, IInspectionSink? sink = null, TimeProvider? time = null,
        Func<long, DateTimeOffset>? wallClock = null, Encoder? encoder = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(camera);
        ArgumentNullException.ThrowIfNull(inspector);
        options.Validate();
        _options = options;
        _chip = chip;
        _clock = MonotonicGpioClock.For(chip);
        _camera = camera;
        _inspector = inspector;
        _rules = new DecisionRules(options, inspector.Labels);
        _gate = new RejectGate(chip, rejectActuator, options, encoder: encoder);
        _health = new LineHealth(options);
        _light = light;
        _sink = sink;
        _time = time ?? TimeProvider.System;
        if (wallClock is null)
        {
            long originNs = chip.NowNs;
            var originWall = DateTimeOffset.Now;
            wallClock = ns => originWall.AddTicks((ns - originNs) / 100);
        }
        _wallClock = wallClock;
        if (options.SnapshotFolder is { } folder)
        {
            // Rejects never wait on snapshots: a folder that cannot be used turns them off (SnapshotsUnavailable says
            // why, for the owner to report) and the line runs.
            try
            {
                _snapshots = new SnapshotWriter(new SnapshotStore(folder, options.SnapshotMaxFiles, options.SnapshotMaxAge), options.SnapshotQueue, logger, options.Line);
            }
            catch (IOException e)
            {
                SnapshotsUnavailable = e.Message;
            }
        }
        _partDefects = new int[inspector.Labels.Count];
        _debounceNs = options.PhotoEyeDebounce.Ticks * 100;
        Shift = new ShiftCounters(inspector.Labels, options.ShiftStarts);
        Minute = ShiftCounters.Every(inspector.Labels, TimeSpan.FromMinutes(1));
        _light?.Show(StackLightColor.Green);
    }

    public InspectionOptions Options => _options;
    public RejectGate Gate => _gate;
    public DecisionRules Rules => _rules;
    public LineHealth Health => _health;
    public ShiftCounters Shift { get; }
    public ShiftCounters Minute { get; }
    /// <summary>The background snapshot writer (its <see cref="SnapshotWriter.Store"/> holds the files); null without a snapshot folder.</summary>
    public SnapshotWriter? Snapshots => _snapshots;

    /// <summary>Why snapshots are off although the options name a folder (it is a file, or cannot be created or read); null when they are on or not asked for.</summary>
    public string? SnapshotsUnavailable { get; }

    /// <summary>What the line's own work has allocated so far, good parts apart (they should allocate nothing once warm).</summary>
    public LineAllocations Allocations => _allocations;

    /// <summary>Raised after each part's decision (on the line's thread).</summary>
    public event Action<PartVerdict>? Inspected;

    /// <summary>Decision rules' lowest score: the detector's confidence threshold must be at or below it.</summary>
    public float LowestScore => _rules.LowestScore;

    /// <summary>
    /// Watches the photo-eye and inspects one part per press until <paramref name="ct"/> is cancelled, or (when
    /// <paramref name="stopWhenIdle"/>) until no part has come for <paramref name="idle"/>. Returns the parts inspected.
    /// </summary>
    public long RunPhotoEye(DigitalInput photoEye, TimeSpan idle, bool stopWhenIdle, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(photoEye);
        long parts = 0;
        while (!ct.IsCancellationRequested)
        {
            if (!photoEye.TryWaitForPress(idle, out long edgeNs))
            {
                FlushSummary(_chip.NowNs);
                if (stopWhenIdle) break;
                continue;
            }
            // A debounced edge is stamped when the debounce period ends; the part broke the beam one period earlier.
            InspectPart(edgeNs - _debounceNs);
            parts++;
        }
        return parts;
    }

    /// <summary>Inspects the part triggered at <paramref name="triggerNs"/>: capture, detect, judge, hand the gate its decision.</summary>
    public PartVerdict InspectPart(long triggerNs)
    {
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        long partId = ++_nextPartId;
        var timing = _gate.Register(partId, triggerNs);
        long startNs = Math.Max(_chip.NowNs, triggerNs);
        long t0 = _time.GetTimestamp();
        int defects;
        double modelMs;
        ImageBuffer frame;
        Array.Clear(_partDefects);
        _detections.Clear();
        try
        {
            frame = _camera.Capture(triggerNs);
            modelMs = _inspector.Inspect(frame, _detections);
            defects = _rules.Judge(_detections, _partDefects);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // No decision: the deadline timer applies the fail-safe policy; the light goes red until acknowledged.
            _health.RecordFault($"part {partId}: {e.GetType().Name}: {e.Message}");
            _light?.Show(StackLightColor.Red);
            throw;
        }
        long elapsedNs = (long)(_time.GetElapsedTime(t0).Ticks * 100);
        long a1 = GC.GetAllocatedBytesForCurrentThread();
        _clock.WaitUntil(startNs + elapsedNs);
        long a2 = GC.GetAllocatedBytesForCurrentThread();
        long decidedNs = _chip.NowNs;
        var outcome = _gate.Decide(partId, defects > 0, decidedNs);
        var verdict = new PartVerdict(partId, triggerNs, decidedNs, timing.DeadlineNs, timing.RejectAtNs, defects, outcome,
            elapsedNs / 1e6, modelMs);

        // After the decision: nothing below delays the actuator.
        var at = _wallClock(triggerNs);
        long s0 = GC.GetAllocatedBytesForCurrentThread();
        if (Minute.Record(at, _partDefects, outcome, defects > 0) is { } minute) _sink?.OnSummary(_options.Line, minute, Shift.Snapshot());
        long summaryBytes = GC.GetAllocatedBytesForCurrentThread() - s0;
        Shift.Record(at, _partDefects, outcome, defects > 0);
        _health.RecordPart(good: defects == 0, late: verdict.Late);
        _light?.Show(_health.Color);
        bool other = defects > 0 || verdict.Late;
        if (other) Report(verdict, frame, at);
        CountAllocations(partId, a1 - a0 + GC.GetAllocatedBytesForCurrentThread() - a2 - summaryBytes, summaryBytes, other);
        Inspected?.Invoke(verdict);
        return verdict;
    }

    /// <summary>Emits the minute's summary if <paramref name="nowNs"/> lies past it (call when idle so quiet minutes report too).</summary>
    public void FlushSummary(long nowNs)
    {
        if (Minute.Roll(_wallClock(nowNs)) is { } minute) _sink?.OnSummary(_options.Line, minute, Shift.Snapshot());
    }

    /// <summary>
    /// On stop: emits the minute's summary if it is over, else the totals of the minute so far (when it saw a part), so
    /// a stopped line's last counts are not lost. A restart within the same minute sends another summary for it.
    /// </summary>
    public void FlushPartialSummary(long nowNs)
    {
        FlushSummary(nowNs);
        if (Minute.Parts > 0) _sink?.OnSummary(_options.Line, Minute.Snapshot(), Shift.Snapshot());
    }

    /// <summary>The defects the rules counted in the part last inspected, by class id (valid during <see cref="Inspected"/>).</summary>
    public ReadOnlySpan<int> LastPartDefects => _partDefects;

    /// <summary>
    /// The detector's detections for the part last inspected (all it returned, counted or not), valid until the next
    /// <see cref="InspectPart"/>; <see cref="Inspected"/> handlers see the part's own.
    /// </summary>
    public IReadOnlyList<Det> LastDetections => _detections;

    /// <summary>Clears a fault (the red light) once someone has looked at it.</summary>
    public void AcknowledgeFault()
    {
        _health.AcknowledgeFault();
        _light?.Show(_health.Color);
    }

    /// <summary>Writes the snapshots still queued (at most <see cref="SnapshotWriter.DrainTimeout"/>) and stops the writer.</summary>
    public void Dispose() => _snapshots?.Dispose();

    private void CountAllocations(long partId, long bytes, long summaryBytes, bool other)
    {
        var a = _allocations with { SummaryBytes = _allocations.SummaryBytes + summaryBytes };
        if (other) _allocations = a with { OtherParts = a.OtherParts + 1, OtherBytes = a.OtherBytes + bytes };
        else if (bytes == 0) _allocations = a with { GoodParts = a.GoodParts + 1 };
        else _allocations = a with { GoodParts = a.GoodParts + 1, GoodPartsAllocating = a.GoodPartsAllocating + 1, LastAllocatingPart = partId, GoodBytes = a.GoodBytes + bytes };
    }

    private void Report(in PartVerdict verdict, ImageBuffer frame, DateTimeOffset at)
    {
        // Named now, written by the writer's thread; null when its queue is full (dropped and counted).
        string? snapshot = _snapshots?.TryEnqueue(frame, verdict.PartId, at);
        if (_sink is null) return;
        var counted = new List<Det>(verdict.Defects);
        foreach (var d in _detections) if (_rules.Counts(d)) counted.Add(d);
        _sink.OnDefect(new DefectEvent(_options.Line, verdict.PartId, at, verdict.TriggerToDecisionMs, verdict.Outcome, counted, snapshot));
    }
}
