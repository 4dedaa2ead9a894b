using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Edge.Agent.Capture;
using Edge.Agent.Cli;
using Edge.Agent.Config;
using Edge.Agent.Devices;
using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Linux;
using Edge.Agent.Metrics;
using Edge.Models.Detection;
using Edge.Models.Onnx;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Inspection;

/// <summary>Who cleared a line's fault (the red stack light).</summary>
public enum FaultAcknowledger
{
    /// <summary>The MQTT command <c>inspection/acknowledge</c>.</summary>
    Mqtt = 1,
    /// <summary>The line's acknowledge button (<c>gpio.acknowledge</c>).</summary>
    Button = 2,
}

/// <summary>Where an inspection line run by the agent is in its life.</summary>
public enum InspectionServiceState
{
    /// <summary>Loaded, devices not opened yet.</summary>
    Starting,
    /// <summary>The GPIO chip or a line could not be opened; retried after a backoff (Reason says why).</summary>
    WaitingForDevices,
    /// <summary>Watching the photo-eye.</summary>
    Running,
    /// <summary>Stopped taking triggers and settled the parts in flight.</summary>
    Stopped,
}

/// <summary>
/// One factory line run by the agent: the detector (loaded and warmed by <see cref="Load"/>, before READY), the GPIO
/// chip and lines (opened by <see cref="RunAsync"/> and, when missing or busy, retried with a backoff while health
/// names the device), the camera in trigger mode (a photo-eye edge triggers a frame), the <see cref="InspectionLine"/>
/// and the sink. Counters go to <see cref="MetricsRegistry"/> and <see cref="WriteStats"/>. Stopping stops taking
/// triggers, waits until the last part's reject pulse has fired and ended, and emits the minute so far.
/// The chip comes from a factory so tests run the real service on <c>SimulatedGpioChip</c>.
/// </summary>
public sealed partial class InspectionService : IAsyncDisposable
{
    /// <summary>How long the photo-eye is watched before the line checks for a closed minute (and for stop).</summary>
    public static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1), MaxRetry = TimeSpan.FromSeconds(30);

    private readonly InspectionLineConfig _config;
    private readonly IInspectionSink? _sink;
    private readonly ILogger _log;
    private readonly Func<string, IGpioChip> _openChip;
    private readonly Lock _lock = new();
    private readonly Counter _parts, _rejects, _late, _errors, _snapshotsDropped, _snapshotErrors, _goodPartBytes;
    private long _goodPartBytesSeen; // the current line's InspectionLine.Allocations.GoodBytes already counted
    private readonly Histogram _decision;
    private readonly MetricsRegistry _metrics;
    private Counter[] _defectsByClass = [];
    private ObjectDetector? _detector;
    /// <summary>The configured options with the model's recommended scores filled in (<see cref="InspectionOptions.WithModelMinScores"/>) once loaded.</summary>
    private InspectionOptions _options;
    private IPartInspector? _inspector;
    private IFrameSource? _source;
    private InspectionLine? _line;
    private int _acknowledgeRequested;
    // Continuous mode: 1 once the line has taken the last frame of a source that ended (the queue is drained).
    private int _framesDrained;
    private StackLight? _light;
    private InspectionServiceState _state = InspectionServiceState.Starting;
    private string? _reason;
    private int _deviceRetries;
    private long _defective, _lastTriggerNs = long.MinValue;

    /// <param name="sink">Where defect events and minute summaries go (the outbox); null = counters only.</param>
    /// <param name="openChip">Opens the GPIO chip at a path; default <see cref="LinuxGpioChip"/>. The service owns what it returns.</param>
    /// <param name="inspector">Replaces the model (tests); null = load <see cref="InspectionLineConfig.Model"/> in <see cref="Load"/>.</param>
    public InspectionService(InspectionLineConfig config, IInspectionSink? sink, MetricsRegistry metrics, ILogger logger,
        Func<string, IGpioChip>? openChip = null, IPartInspector? inspector = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        _config = config;
        _sink = sink;
        _metrics = metrics;
        _log = logger;
        _openChip = openChip ?? (path => new LinuxGpioChip(path));
        _inspector = inspector;
        _options = config.Options;
        var line = ("line", config.Name);
        _parts = metrics.Counter("edge_inspection_parts_total", "Parts inspected (photo-eye triggers that reached a decision or a fault).", line);
        _rejects = metrics.Counter("edge_inspection_rejects_total", "Reject pulses fired (defective parts and fail-safe rejects).", line);
        _late = metrics.Counter("edge_inspection_late_total", "Parts whose decision missed the deadline (the fail-safe policy applied).", line);
        _errors = metrics.Counter("edge_inspection_errors_total", "Parts whose capture or detection failed.", line);
        _snapshotsDropped = metrics.Counter("edge_inspection_snapshots_dropped_total", "Defective parts without a snapshot: the writer's queue was full.", line);
        _snapshotErrors = metrics.Counter("edge_inspection_snapshot_errors_total", "Snapshots whose write failed (disk full, folder removed).", line);
        _decision = metrics.Histogram("edge_inspection_decision_seconds", "From the photo-eye trigger to the reject decision.", null, line);
        _goodPartBytes = metrics.Counter("edge_inspection_good_part_alloc_bytes_total",
            "Managed bytes the line's own work allocated for good parts: a few kB of warm-up, then flat; growth means a per-part allocation.", line);
    }

    public string Name => _config.Name;
    public InspectionLineConfig Config => _config;

    /// <summary>Raised on the line's thread after each part's decision (tests and diagnostics).</summary>
    public event Action<PartVerdict>? PartInspected;

    /// <summary>Raised on the chip clock's thread when a reject pulse starts.</summary>
    public event Action<RejectPulse>? PulseStarted;

    /// <summary>Raised on the line's thread once the devices are open and the photo-eye is watched.</summary>
    public event Action? Running;

    public InspectionServiceState State
    {
        get { lock (_lock) return _state; }
    }

    /// <summary>Resolves, loads and warms the model, and checks the rules' class names against it. Call before READY.</summary>
    /// <exception cref="FileNotFoundException">the model, or the configured verifier, is missing.</exception>
    /// <exception cref="InvalidDataException">the verifier (configured, or the one beside the model) is not one this detector can use.</exception>
    /// <exception cref="ArgumentException">the rules name a class the model does not know, or the line's verifierBand has no verifier to apply to.</exception>
    public void Load()
    {
        if (_inspector is null)
        {
            var path = ResolveModel(_config);
            (_detector, _options) = DetectionModels.LoadForRules(path, _options, _config.Threads, _log, _config.Verifier, $"{_config.Path}.verifier",
                _config.VerifierBand, $"{_config.Path}.verifierBand");
            _detector.Warmup();
            _inspector = new DetectorInspector(_detector);
            Log.ModelLoaded(_log, _config.Name, path, string.Join(", ", _detector.Labels.Names), DetectionModels.DescribeScores(_options, _detector.Labels.Names),
                DetectionModels.DescribeVerifier(_detector));
        }
        try { _ = new DecisionRules(_options, _inspector.Labels); }
        catch (ArgumentException e) { throw new ArgumentException($"{_config.Path}: {e.Message}", e); }
        _defectsByClass = _inspector.Labels.Select(c => _metrics.Counter("edge_inspection_defects_total",
            "Defects counted by the decision rules, by class.", ("line", _config.Name), ("class", c))).ToArray();
    }

    /// <summary>The model file for <paramref name="config"/>: a path as given, or a name found as <c>edge detect</c> finds it (next to the config, then the current folder and the application's folders).</summary>
    public static string ResolveModel(InspectionLineConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Model.Contains('/')) return File.Exists(config.Model) ? config.Model
            : throw new FileNotFoundException($"{config.Path}.model: {config.Model} not found", config.Model);
        string path;
        try { path = DetectCommand.ResolveModel(config.Model, DetectCommand.SearchRoots()); }
        catch (FileNotFoundException e) { throw new FileNotFoundException($"{config.Path}.model: {e.Message}", config.Model, e); }
        if (!config.Int8) return path;
        var int8 = Path.Combine(Path.GetDirectoryName(path)!, config.Model + "-int8.onnx");
        return File.Exists(int8) ? int8 : throw new FileNotFoundException($"{config.Path}.int8: model '{config.Model}' has no INT8 file: {int8} not found", int8);
    }

    /// <summary>
    /// Runs the line on its own thread until <paramref name="ct"/> is cancelled: opens the devices (retrying while they
    /// are missing), starts the camera, inspects one part per photo-eye press; on cancel settles the parts in flight.
    /// </summary>
    public Task RunAsync(CancellationToken ct)
    {
        if (_inspector is null) throw new InvalidOperationException("InspectionService.Load must run before RunAsync");
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(ct);
                done.TrySetResult();
            }
            catch (Exception e)
            {
                SetState(InspectionServiceState.Stopped, $"stopped after an error: {e.Message}");
                Log.Crashed(_log, _config.Name, e);
                done.TrySetException(e);
            }
        }) { IsBackground = true, Name = $"inspection {_config.Name}" };
        thread.Start();
        return done.Task;
    }

    private void Run(CancellationToken ct)
    {
        bool continuous = _config.Mode == InspectionMode.Continuous;
        var camera = FrameSources.Create($"inspection-{_config.Name}", _config.Camera, triggered: !continuous, _log);
        _source = camera;
        camera.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        var retry = FirstRetry;
        while (!ct.IsCancellationRequested)
        {
            Devices? devices;
            try
            {
                devices = OpenDevices();
            }
            catch (Exception e) when (e is DeviceException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                _deviceRetries++;
                SetState(InspectionServiceState.WaitingForDevices, $"GPIO {_config.Gpio.Chip}: {e.Message}");
                Log.DevicesMissing(_log, _config.Name, _config.Gpio.Chip, e.Message, retry.TotalSeconds, _config.Path);
                if (ct.WaitHandle.WaitOne(retry)) break;
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
                continue;
            }
            retry = FirstRetry;
            bool lost;
            using (devices)
                lost = Inspect(devices, camera, ct);
            if (!lost) break;
            // A line whose input fails again as soon as it is reopened would otherwise reopen in a tight loop.
            if (ct.WaitHandle.WaitOne(retry)) break;
        }
        SetState(InspectionServiceState.Stopped, null);
    }

    /// <summary>Runs the line (photo-eye or continuous) until stop (returns false) or until the chip fails (returns true: reopen).</summary>
    private bool Inspect(Devices devices, IFrameSource camera, CancellationToken ct)
    {
        // A reader thread that fails (the encoder's, the button's) ends the watch loop below as GPIO lost.
        using var inputLost = new InputFailure(ct);
        // Disposed last, after Settle: the last part's reject may still wait for encoder edges.
        using var encoderFeed = InputFeed.Encoder(devices.Encoder, devices.Chip, inputLost, _log, _config.Name);
        using var acknowledgeButton = InputFeed.Button(devices.Acknowledge, devices.Chip, () => RequestFaultAcknowledge(FaultAcknowledger.Button),
            inputLost, _log, _config.Name);
        TriggeredSourceCamera? partCamera = null;
        ContinuousInspection? continuous = null;
        InspectionLine line;
        if (_config.Continuous is { } c)
        {
            continuous = new ContinuousInspection(_options, devices.Chip, devices.Reject, _inspector!, c.DecisionLineX, c.Locator(),
                light: devices.Light, sink: _sink, encoder: devices.Encoder, logger: _log, framePeriod: LiveFramePeriod(_config.Camera));
            line = continuous.Line;
        }
        else
        {
            partCamera = new TriggeredSourceCamera(camera, CaptureTimeout(_options));
            line = new InspectionLine(_options, devices.Chip, devices.Reject, partCamera, _inspector!, devices.Light, _sink, encoder: devices.Encoder,
                logger: _log);
        }
        _goodPartBytesSeen = 0;
        line.Inspected += OnInspected;
        line.Gate.PulseStarted += OnPulse;
        if (line.Snapshots is { } snapshots)
        {
            snapshots.Dropped += OnSnapshotDropped;
            snapshots.WriteFailed += OnSnapshotFailed;
        }
        // An encoder that stops being read leaves parts between camera and actuator: time them from its last speed.
        inputLost.OnEncoderLost(() =>
        {
            int parts = line.Gate.DeadReckon();
            long dueMs = ((line.Gate.ReckonedUntilNs ?? devices.Chip.NowNs) - devices.Chip.NowNs) / 1_000_000;
            Log.DeadReckoning(_log, _config.Name, parts, Math.Max(0, dueMs));
        });
        lock (_lock)
        {
            _line = line;
            _light = devices.Light;
        }
        if (line.SnapshotsUnavailable is { } why)
        {
            _snapshotErrors.Inc();
            Log.SnapshotsOff(_log, _config.Name, why, _config.Path);
        }
        SetState(InspectionServiceState.Running, line.SnapshotsUnavailable is { } off ? $"snapshots off: {off}" : null);
        var timing = _options.UsesEncoder ? $"reject after {_options.RejectAfterCounts} encoder counts" : $"reject delay {_options.RejectDelay.TotalMilliseconds} ms";
        Log.Running(_log, _config.Name, _config.Gpio.Chip, continuous is null ? "photo-eye" : "continuous",
            string.Join(", ", _config.Gpio.Lines().Select(l => $"{l.Role} {l.Offset}")), timing);
        Running?.Invoke();
        bool lost = false;
        try
        {
            if (continuous is null) WatchPhotoEye(devices, line, inputLost.Token);
            else WatchFrames(devices, continuous, camera, inputLost.Token);
            if (inputLost.Error is { } error && !ct.IsCancellationRequested) throw new DeviceException(error);
        }
        catch (DeviceException e)
        {
            lost = true;
            _deviceRetries++;
            SetState(InspectionServiceState.WaitingForDevices, $"GPIO {_config.Gpio.Chip}: {e.Message}");
            Log.DevicesLost(_log, _config.Name, e.Message);
        }
        finally
        {
            Settle(devices, line, encoderCounting: !inputLost.EncoderFailed);
            line.Dispose(); // writes the queued snapshots, at most SnapshotWriter.DrainTimeout
            line.Inspected -= OnInspected;
            line.Gate.PulseStarted -= OnPulse;
            if (line.Snapshots is { } writer)
            {
                writer.Dropped -= OnSnapshotDropped;
                writer.WriteFailed -= OnSnapshotFailed;
            }
            partCamera?.Dispose();
            continuous?.Dispose();
        }
        return lost && !ct.IsCancellationRequested;
    }

    /// <summary>One part per photo-eye press.</summary>
    private void WatchPhotoEye(Devices devices, InspectionLine line, CancellationToken ct)
    {
        var eye = devices.PhotoEye ?? throw new InvalidOperationException($"{_config.Path}: photo-eye mode without a photo-eye line");
        long debounceNs = _options.PhotoEyeDebounce.Ticks * 100;
        while (!ct.IsCancellationRequested)
        {
            long waitStarted = Stopwatch.GetTimestamp();
            Volatile.Write(ref _loopTimestamp, waitStarted);
            bool pressed = eye.TryWaitForPress(IdlePoll, out long edgeNs);
            // After the wait, before the part: a press that came while waiting never clears the fault this part may raise.
            TakeAcknowledge(line);
            if (!pressed)
            {
                Idle(devices, line, waitStarted, ct);
                continue;
            }
            // A debounced edge is stamped when the debounce period ends; the part broke the beam one period earlier.
            long triggerNs = edgeNs - debounceNs;
            Volatile.Write(ref _lastTriggerNs, triggerNs);
            try
            {
                line.InspectPart(triggerNs);
            }
            catch (Exception e) when (e is not (OutOfMemoryException or DeviceException))
            {
                // The gate's deadline timer applies the fail-safe policy to this part; the light is red.
                _errors.Inc();
                _parts.Inc();
                Log.PartFailed(_log, _config.Name, e.Message);
            }
        }
    }

    /// <summary>
    /// Continuous mode: every frame of the free-running camera goes to <see cref="ContinuousInspection.ProcessFrame"/>,
    /// stamped on the chip's clock (now, less the frame's age). A source that ended (a folder without loop) leaves the
    /// line idle until stop; health reports the camera.
    /// </summary>
    private void WatchFrames(Devices devices, ContinuousInspection continuous, IFrameSource camera, CancellationToken ct)
    {
        var reader = camera.Frames;
        bool ended = false;
        Volatile.Write(ref _framesDrained, 0);
        long lastFrameNs = long.MinValue;
        while (!ct.IsCancellationRequested)
        {
            long waitStarted = Stopwatch.GetTimestamp();
            Volatile.Write(ref _loopTimestamp, waitStarted);
            Frame? frame = null;
            if (!ended && !reader.TryRead(out frame))
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(IdlePoll);
                try { frame = reader.ReadAsync(wait.Token).AsTask().GetAwaiter().GetResult(); }
                catch (OperationCanceledException) { }
                catch (ChannelClosedException) { ended = true; Volatile.Write(ref _framesDrained, 1); }
            }
            TakeAcknowledge(continuous.Line);
            if (frame is null)
            {
                Idle(devices, continuous.Line, waitStarted, ct);
                continue;
            }
            using (frame)
            {
                long ageNs = Math.Max(0, (DateTimeOffset.UtcNow - frame.CapturedAt).Ticks * 100);
                long frameNs = Math.Max(lastFrameNs == long.MinValue ? long.MinValue : lastFrameNs + 1, devices.Chip.NowNs - ageNs);
                lastFrameNs = frameNs;
                // Settle waits for a reject due after the last frame that may have held a part.
                Volatile.Write(ref _lastTriggerNs, frameNs);
                try
                {
                    continuous.ProcessFrame(frame.Image, frameNs);
                }
                catch (Exception e) when (e is not (OutOfMemoryException or DeviceException))
                {
                    // The crossing part gets the gate's fail-safe policy; the light is red.
                    _errors.Inc();
                    _parts.Inc();
                    Log.PartFailed(_log, _config.Name, e.Message);
                }
            }
        }
    }

    /// <summary>
    /// A live camera with a configured rate delivers a frame every period, so a longer gap between timestamps means
    /// dropped frames; files (a folder of images, a video) are one belt step per frame whatever their timestamps.
    /// </summary>
    internal static TimeSpan? LiveFramePeriod(SourceOptions camera) =>
        camera.Type is SourceType.Images or SourceType.Video || camera.Fps <= 0 ? null : TimeSpan.FromSeconds(1 / camera.Fps);

    /// <summary>
    /// Asks the line to clear its fault (the red stack light) once someone has looked at it (the MQTT command, or the
    /// acknowledge button); done on the line's own thread within <see cref="IdlePoll"/>. False when the line is not running.
    /// </summary>
    public bool RequestFaultAcknowledge(FaultAcknowledger by = FaultAcknowledger.Mqtt)
    {
        if (State != InspectionServiceState.Running) return false;
        Volatile.Write(ref _acknowledgeRequested, (int)by);
        return true;
    }

    private void TakeAcknowledge(InspectionLine line)
    {
        var by = (FaultAcknowledger)Interlocked.Exchange(ref _acknowledgeRequested, 0);
        if (by == 0) return;
        string who = by == FaultAcknowledger.Button ? $"the button (line {_config.Gpio.Acknowledge})" : "MQTT";
        if (line.Health.Fault is not { } fault)
        {
            Log.NothingToAcknowledge(_log, _config.Name, who, line.Health.Color.ToString().ToLowerInvariant());
            return;
        }
        line.AcknowledgeFault();
        Log.FaultAcknowledged(_log, _config.Name, who, fault, line.Health.Color.ToString().ToLowerInvariant());
    }

    /// <summary>Nothing came within <see cref="IdlePoll"/>: closes a finished minute and paces the poll in real time.</summary>
    private static void Idle(Devices devices, InspectionLine line, long waitStarted, CancellationToken ct)
    {
        line.FlushSummary(devices.Chip.NowNs);
        // A virtual clock returns at once; pace idle polls in real time so an idle simulated line does not spin.
        var left = IdlePoll - Stopwatch.GetElapsedTime(waitStarted);
        if (left > TimeSpan.Zero) ct.WaitHandle.WaitOne(left);
    }

    /// <summary>How long stop waits for a stopped belt to bring the last part to the actuator (encoder timing), on the chip's clock.</summary>
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Waits (on the chip's clock) until the last part's reject pulse, if any, has been fired and has ended; emits the
    /// minute so far. With encoder timing that is the edge N counts after the last trigger, waited for at most
    /// <see cref="SettleLimit"/> (a belt that stopped never brings it); once the encoder's reader has failed, the last
    /// reject time estimated from its speed (<see cref="RejectGate.DeadReckon"/>), within the same limit.
    /// </summary>
    private void Settle(Devices devices, InspectionLine line, bool encoderCounting)
    {
        long last = Volatile.Read(ref _lastTriggerNs);
        if (last != long.MinValue)
        {
            var o = _options;
            long pulseNs = o.PulseWidth.Ticks * 100 + 1_000_000;
            try
            {
                var clock = MonotonicGpioClock.For(devices.Chip);
                long settledNs = last + o.RejectDelay.Ticks * 100 + pulseNs;
                if (o.UsesEncoder && !encoderCounting)
                {
                    // The parts in flight were re-timed from the encoder's last speed (DeadReckon): wait for the last.
                    long now = devices.Chip.NowNs;
                    settledNs = line.Gate.ReckonedUntilNs is { } until ? Math.Min(until + pulseNs, now + SettleLimit.Ticks * 100) : now;
                }
                else if (o.UsesEncoder && devices.Encoder is { } encoder)
                {
                    long target = encoder.CountAt(last) + o.RejectAfterCounts;
                    long giveUpNs = devices.Chip.NowNs + SettleLimit.Ticks * 100;
                    while (encoder.Count < target && devices.Chip.NowNs < giveUpNs)
                        clock.WaitUntil(Math.Min(giveUpNs, devices.Chip.NowNs + 10_000_000));
                    if (encoder.TryGetTimeOfCount(target, out long rejectNs)) settledNs = rejectNs + pulseNs;
                    else
                    {
                        settledNs = devices.Chip.NowNs;
                        Log.SettleFailed(_log, _config.Name, $"the encoder reached {encoder.Count} of {target} counts within {SettleLimit.TotalSeconds} s (belt stopped?)");
                    }
                }
                clock.WaitUntil(settledNs);
            }
            catch (Exception e) when (e is DeviceException or ObjectDisposedException or InvalidOperationException) { Log.SettleFailed(_log, _config.Name, e.Message); }
        }
        line.FlushPartialSummary(devices.Chip.NowNs);
    }

    private static TimeSpan CaptureTimeout(InspectionOptions o) =>
        TimeSpan.FromTicks(Math.Max(o.ActuatorDeadlineMargin.Ticks, TimeSpan.FromMilliseconds(100).Ticks));

    private void OnInspected(PartVerdict v)
    {
        _parts.Inc();
        _decision.Observe(v.TriggerToDecisionMs / 1000);
        if (v.Late) _late.Inc();
        if (v.Defective) Interlocked.Increment(ref _defective);
        var line = _line;
        var byClass = line is null ? default : line.LastPartDefects;
        long good = line?.Allocations.GoodBytes ?? _goodPartBytesSeen;
        if (good != _goodPartBytesSeen)
        {
            _goodPartBytes.Inc(good - _goodPartBytesSeen);
            _goodPartBytesSeen = good;
        }
        for (int i = 0; i < byClass.Length && i < _defectsByClass.Length; i++)
            if (byClass[i] > 0) _defectsByClass[i].Inc(byClass[i]);
        PartInspected?.Invoke(v);
    }

    private void OnSnapshotDropped() => _snapshotsDropped.Inc();

    private void OnSnapshotFailed(string path, Exception e) => _snapshotErrors.Inc();

    private void OnPulse(RejectPulse p)
    {
        _rejects.Inc();
        PulseStarted?.Invoke(p);
    }

    private Devices OpenDevices()
    {
        var g = _config.Gpio;
        var chip = _openChip(g.Chip);
        var opened = new List<IDisposable>();
        try
        {
            DigitalInput? eye = null;
            if (_config.Mode == InspectionMode.PhotoEye && g.PhotoEye is { } eyeLine)
            {
                eye = new DigitalInput(chip, eyeLine, new DigitalInputOptions
                {
                    ActiveLow = g.PhotoEyeActiveLow,
                    Bias = g.PhotoEyeActiveLow ? GpioBias.PullUp : GpioBias.PullDown,
                    Debounce = _options.PhotoEyeDebounce,
                    Consumer = $"edge {_config.Name} photo-eye",
                });
                opened.Add(eye);
            }
            var reject = new DigitalOutput(chip, g.Reject, g.RejectActiveLow, consumer: $"edge {_config.Name} reject");
            opened.Add(reject);
            DigitalOutput? Lamp(int? offset, string colour)
            {
                if (offset is not { } o) return null;
                var lamp = new DigitalOutput(chip, o, consumer: $"edge {_config.Name} {colour}");
                opened.Add(lamp);
                return lamp;
            }
            var green = Lamp(g.Green, "green");
            var amber = Lamp(g.Amber, "amber");
            var red = Lamp(g.Red, "red");
            var light = green is null && amber is null && red is null ? null : new StackLight(green, amber, red);
            Encoder? encoder = null;
            if (g.Encoder is { } encoderLine)
            {
                encoder = new Encoder(chip, encoderLine, g.EncoderDebounce, g.EncoderActiveLow, g.EncoderBias, consumer: $"edge {_config.Name} encoder");
                opened.Add(encoder);
            }
            DigitalInput? acknowledge = null;
            if (g.Acknowledge is { } ackLine)
            {
                acknowledge = new DigitalInput(chip, ackLine, new DigitalInputOptions
                {
                    ActiveLow = g.AcknowledgeActiveLow,
                    Bias = g.AcknowledgeActiveLow ? GpioBias.PullUp : GpioBias.PullDown,
                    Debounce = g.AcknowledgeDebounce ?? InspectionGpioConfig.DefaultAcknowledgeDebounce,
                    Consumer = $"edge {_config.Name} acknowledge",
                });
                opened.Add(acknowledge);
            }
            return new Devices(chip, eye, reject, light, encoder, acknowledge);
        }
        catch
        {
            foreach (var d in opened) d.Dispose();
            chip.Dispose();
            throw;
        }
    }

    /// <summary>What is wrong with the line, one reason per problem, each naming the line and the device (empty when healthy).</summary>
    private long _loopTimestamp;

    /// <summary>
    /// How long the line's thread has been inside one turn of its loop (one photo-eye wait of at most
    /// <see cref="IdlePoll"/>, or one part); null while it is not serving parts. The agent withholds the
    /// systemd watchdog ping when this passes the watchdog interval.
    /// </summary>
    public TimeSpan? TimeInTurn
    {
        get
        {
            long last = Volatile.Read(ref _loopTimestamp);
            return State == InspectionServiceState.Running && last != 0 ? Stopwatch.GetElapsedTime(last) : null;
        }
    }

    public List<string> Problems()
    {
        var problems = new List<string>();
        InspectionServiceState state;
        string? reason;
        InspectionLine? line;
        lock (_lock) (state, reason, line) = (_state, _reason, _line);
        if (state == InspectionServiceState.WaitingForDevices) problems.Add($"inspection {_config.Name}: {reason}");
        if (state == InspectionServiceState.Stopped && reason is not null) problems.Add($"inspection {_config.Name}: {reason}");
        // In continuous mode a source that ended may still have frames queued for the line: it is reported once they are inspected.
        if (_source?.Health is { State: SourceState.Retrying or SourceState.Failed or SourceState.Ended } h
            && (h.State != SourceState.Ended || _config.Continuous is null || Volatile.Read(ref _framesDrained) == 1))
            problems.Add($"inspection {_config.Name}: camera {h.State.ToString().ToLowerInvariant()}: {h.Reason}");
        if (state == InspectionServiceState.Running && line?.Health.Fault is { } fault)
            problems.Add($"inspection {_config.Name}: fault (stack light red): {fault}");
        return problems;
    }

    /// <summary>The line's counters and state for telemetry and /api/status.</summary>
    public void WriteStats(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        InspectionServiceState state;
        string? reason;
        InspectionLine? line;
        StackLight? light;
        lock (_lock) (state, reason, line, light) = (_state, _reason, _line, _light);
        w.WriteStartObject(_config.Name);
        w.WriteString("state", state switch
        {
            InspectionServiceState.WaitingForDevices => "waiting_for_devices",
            _ => state.ToString().ToLowerInvariant(),
        });
        if (reason is not null) w.WriteString("reason", reason);
        w.WriteNumber("parts", _parts.Value);
        w.WriteNumber("defective", Interlocked.Read(ref _defective));
        w.WriteNumber("rejects", _rejects.Value);
        w.WriteNumber("late", _late.Value);
        w.WriteNumber("errors", _errors.Value);
        w.WriteNumber("device_retries", _deviceRetries);
        w.WriteNumber("snapshots_dropped", _snapshotsDropped.Value);
        w.WriteNumber("snapshot_errors", _snapshotErrors.Value);
        if (_decision.Count > 0) w.WriteNumber("decision_ms_mean", Math.Round(_decision.Sum / _decision.Count * 1000, 2));
        if (line is not null)
        {
            w.WriteNumber("yield_rolling", Math.Round(line.Health.RollingYield, 4));
            w.WriteString("stack_light", (light?.Color ?? line.Health.Color).ToString().ToLowerInvariant());
            if (line.Health.Fault is { } fault) w.WriteString("fault", fault);
        }
        w.WriteStartObject("defects");
        var labels = _inspector?.Labels ?? [];
        for (int i = 0; i < _defectsByClass.Length && i < labels.Count; i++) w.WriteNumber(labels[i], _defectsByClass[i].Value);
        w.WriteEndObject();
        if (_source?.Health is { } h)
        {
            w.WriteStartObject("camera");
            w.WriteString("state", h.State.ToString().ToLowerInvariant());
            if (h.Reason is not null) w.WriteString("reason", h.Reason);
            w.WriteNumber("frames", h.Frames);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private void SetState(InspectionServiceState state, string? reason)
    {
        lock (_lock) (_state, _reason) = (state, reason);
    }

    public async ValueTask DisposeAsync()
    {
        if (_source is not null) await _source.DisposeAsync();
        _detector?.Dispose();
    }

    /// <summary>The lines one run of the line holds; disposing switches the outputs off and releases the chip.</summary>
    private sealed record Devices(IGpioChip Chip, DigitalInput? PhotoEye, DigitalOutput Reject, StackLight? Light, Encoder? Encoder,
        DigitalInput? Acknowledge) : IDisposable
    {
        public void Dispose()
        {
            Light?.Dispose();
            Reject.Dispose();
            PhotoEye?.Dispose();
            Encoder?.Dispose();
            Acknowledge?.Dispose();
            Chip.Dispose();
        }
    }

    /// <summary>
    /// Delivers one GPIO input's edges while the line runs (the encoder, the acknowledge button): a chip that notifies
    /// edges as they happen (the simulator) calls <c>onEdge</c> on the thread that moves its clock; on a kernel chip
    /// <c>read</c> runs on a thread of its own until stopped (it must poll its token at least every 100 ms or so). A
    /// device error on that thread ends it, is logged through <c>stopped</c> and reported to <c>lost</c>, which ends the run as GPIO lost.
    /// </summary>
    private sealed class InputFeed : IDisposable
    {
        private static readonly InputFeed None = new(null, null, null);
        private readonly IDisposable? _subscription;
        private readonly CancellationTokenSource? _stop;
        private readonly Thread? _thread;

        private InputFeed(IDisposable? subscription, CancellationTokenSource? stop, Thread? thread) =>
            (_subscription, _stop, _thread) = (subscription, stop, thread);

        public static InputFeed Start(IGpioChip chip, int? line, Action<GpioEdgeEvent> onEdge, Action<CancellationToken> read,
            string threadName, ThreadPriority priority, Action<string> stopped, InputFailure lost, string what, bool isEncoder)
        {
            if (line is not { } offset) return None;
            if (chip is IGpioEdgeNotifier notifier) return new InputFeed(notifier.OnInputEdge(offset, onEdge), null, null);
            var stop = new CancellationTokenSource();
            var thread = new Thread(() =>
            {
                try { read(stop.Token); }
                catch (Exception e) when (e is DeviceException or ObjectDisposedException or IOException)
                {
                    stopped(e.Message);
                    lost.Report($"{what} (line {offset}) no longer read: {e.Message}", isEncoder);
                }
            }) { IsBackground = true, Name = threadName, Priority = priority };
            thread.Start();
            return new InputFeed(null, stop, thread);
        }

        /// <summary>The encoder's edges: <see cref="Encoder.OnEdge"/> on the simulator, <see cref="Encoder.Run"/> on a board.</summary>
        public static InputFeed Encoder(Encoder? encoder, IGpioChip chip, InputFailure lost, ILogger log, string line) =>
            encoder is null ? None : Start(chip, encoder.Line, e => encoder.OnEdge(e), encoder.Run, $"encoder {line}", ThreadPriority.AboveNormal,
                error => Log.EncoderStopped(log, line, error), lost, "encoder", isEncoder: true);

        /// <summary>The acknowledge button's presses (logical rising edges).</summary>
        public static InputFeed Button(DigitalInput? button, IGpioChip chip, Action pressed, InputFailure lost, ILogger log, string line) =>
            button is null ? None : Start(chip, button.Line, e => { if (e.Edge == GpioEdges.Rising) pressed(); },
                ct => { while (!ct.IsCancellationRequested) if (button.TryWaitForPress(TimeSpan.FromMilliseconds(100))) pressed(); },
                $"acknowledge {line}", ThreadPriority.Normal, error => Log.ButtonStopped(log, line, error), lost, "acknowledge button", isEncoder: false);

        public void Dispose()
        {
            _subscription?.Dispose();
            if (_stop is null) return;
            _stop.Cancel();
            _thread!.Join(TimeSpan.FromSeconds(1)); // the readers poll every 100 ms
            _stop.Dispose();
        }
    }

    /// <summary>
    /// The first error of an input's reader thread during one run of the line; <see cref="Token"/> (linked to the
    /// service's stop) is cancelled by it, which ends the watch loop. Stopping the line is not an error.
    /// </summary>
    private sealed class InputFailure(CancellationToken stop) : IDisposable
    {
        private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        private readonly Lock _lock = new();
        private string? _error;
        private volatile bool _encoder;
        private Action? _encoderLost;

        /// <summary>Runs <paramref name="action"/> once when the encoder's reader fails (at once if it already has).</summary>
        public void OnEncoderLost(Action action)
        {
            lock (_lock)
            {
                if (!_encoder) { _encoderLost = action; return; }
            }
            action();
        }

        public CancellationToken Token => _cts.Token;
        public string? Error => Volatile.Read(ref _error);
        /// <summary>Whether the encoder's reader failed (its count no longer moves).</summary>
        public bool EncoderFailed => _encoder;

        public void Report(string error, bool encoder)
        {
            if (encoder)
            {
                Action? lost;
                lock (_lock)
                {
                    lost = _encoder ? null : _encoderLost;
                    _encoder = true;
                }
                // Before the run is ended below, so the parts in flight are re-timed first. The reader thread has no
                // one above it to catch for it: a chip that went away meanwhile leaves nothing to re-time.
                try { lost?.Invoke(); }
                catch (Exception e) when (e is DeviceException or ObjectDisposedException or InvalidOperationException) { }
            }
            if (Interlocked.CompareExchange(ref _error, error, null) is not null) return;
            try { _cts.Cancel(); }
            catch (ObjectDisposedException) { } // the reader outlived its run (its join timed out): nothing left to end
        }

        public void Dispose()
        {
            lock (_lock) _encoderLost = null; // a reader that outlives its run must not touch the next run's line
            _cts.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Inspection {Line}: model {Model} loaded and warmed (classes {Classes}; lowest scores that count: {Scores}; {Verifier})")]
        public static partial void ModelLoaded(ILogger logger, string line, string model, string classes, string scores, string verifier);

        [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Inspection {Line}: running in {Mode} mode on {Chip} (lines: {Wiring}; {Timing})")]
        public static partial void Running(ILogger logger, string line, string chip, string mode, string wiring, string timing);

        [LoggerMessage(EventId = 416, Level = LogLevel.Error, Message = "Inspection {Line}: {Error}; the line runs without defect snapshots. Fix: {Key}.snapshots.path (a folder the agent's user can write), or {Key}.snapshots.enabled false")]
        public static partial void SnapshotsOff(ILogger logger, string line, string error, string key);

        [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Inspection {Line}: cannot open GPIO {Chip}: {Error}. Retrying in {Seconds} s. Fix: check the chip exists (ls /dev/gpiochip*, gpiodetect), that the agent's user is in the gpio group, and {Key}.gpio in the config")]
        public static partial void DevicesMissing(ILogger logger, string line, string chip, string error, double seconds, string key);

        [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Inspection {Line}: GPIO lost while running: {Error}; reopening")]
        public static partial void DevicesLost(ILogger logger, string line, string error);

        [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Inspection {Line}: part not inspected (fail-safe policy applies): {Error}")]
        public static partial void PartFailed(ILogger logger, string line, string error);

        [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "Inspection {Line}: could not wait for the last reject pulse: {Error}")]
        public static partial void SettleFailed(ILogger logger, string line, string error);

        [LoggerMessage(EventId = 407, Level = LogLevel.Error, Message = "Inspection {Line}: encoder stopped counting: {Error}; the line stops and reopens its GPIO")]
        public static partial void EncoderStopped(ILogger logger, string line, string error);

        [LoggerMessage(EventId = 408, Level = LogLevel.Information, Message = "Inspection {Line}: fault acknowledged by {By} ({Fault}); stack light {Colour}")]
        public static partial void FaultAcknowledged(ILogger logger, string line, string by, string fault, string colour);

        [LoggerMessage(EventId = 409, Level = LogLevel.Information, Message = "Inspection {Line}: acknowledge by {By}, but there is no fault; stack light stays {Colour}")]
        public static partial void NothingToAcknowledge(ILogger logger, string line, string by, string colour);

        [LoggerMessage(EventId = 414, Level = LogLevel.Error, Message = "Inspection {Line}: acknowledge button no longer read: {Error}; the line stops and reopens its GPIO")]
        public static partial void ButtonStopped(ILogger logger, string line, string error);

        [LoggerMessage(EventId = 415, Level = LogLevel.Warning, Message = "Inspection {Line}: encoder lost: {Parts} parts in flight re-timed from its last speed (the last due in {DueMs} ms); a belt that changes speed now moves their rejects")]
        public static partial void DeadReckoning(ILogger logger, string line, int parts, long dueMs);

        [LoggerMessage(EventId = 406, Level = LogLevel.Error, Message = "Inspection {Line} stopped")]
        public static partial void Crashed(ILogger logger, string line, Exception exception);
    }
}
