using System.Diagnostics;
using System.Globalization;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Inspection;
using Edge.Models.Detection;
using Edge.Models.Imaging;
using Edge.Models.Onnx;

namespace Edge.Agent.Cli;

/// <summary>
/// <c>edge inspect --sim</c>: the factory-line app end to end on a synthetic conveyor — photo-eye pulses on a simulated
/// GPIO chip, the held-out images as the parts, real detection, the reject gate on the simulated output — then what
/// was rejected and when, and how that compares with the ground truth and with the detector's own decisions.
/// </summary>
internal static class InspectCommand
{
    public const string Usage = """
        usage: edge inspect --sim [--continuous] [--parts N] [--model defect|PATH] [--int8] [--verifier PATH|none] [--verifier-band FROM[:TO]:MIN] [--speed M/S] [--late-policy reject|pass] [--seed S]

        Runs the inspection line on a synthetic conveyor against the GPIO simulator. Each part is a held-out image
        (defective when its labels hold a defect box); the photo-eye fires as it passes, the part is captured and
        inspected with the real model, and the reject actuator is pulsed the reject delay after the trigger. Compute
        time is measured and laid onto the virtual clock, so late decisions are real.
          --continuous          continuous mode: no photo-eye; each part image slides through a 640-wide belt frame
                                (12 frames in view, 50 fps), parts are found as bright blobs, tracked across frames and
                                inspected once when they cross the frame's middle; the reject delay runs from the crossing
          --parts N             parts on the belt (default 200)
          --model NAME|PATH     detection model (default defect → models/defect/defect.onnx)
          --int8                the model's INT8 file (models/NAME/NAME-int8.onnx)
          --verifier PATH|none  the second look at uncertain boxes (a verifier .onnx, docs/inspection.md), or none
                                (default: NAME-verifier.onnx beside the model, when there is one; FP32 for both files)
          --verifier-band B     the verifier's band instead of the file's: FROM:MIN (it confirms boxes from FROM up)
                                or FROM:TO:MIN (it alone decides boxes from FROM up to TO, so it can veto), e.g. 0.45:0.32
          --heldout DIR         the part images with labels.json (default: heldout/ beside the model)
          --speed M/S           belt speed (default 0.5); parts every 0.25 m ± 30 %, actuator 0.25 m downstream
          --late-policy P       reject (default) or pass: what a decision that misses its deadline does
          --min-score S         lowest score that makes a detection a defect, for every class (default: the model's
                                recommended score per class, its min_score metadata; 0.25 for a model without one)
          --seed S              part order and spacing (default 1)
          --snapshots DIR       keep JPEG snapshots of defective parts there (default: none)
          --threads N           ONNX Runtime intra-op threads (default: one per core)
          --quiet               do not list every rejected part

        A run longer than 5 s reports its progress on stderr every 5 s. The summary compares the line with the
        ground truth and with the detector's own decisions, and gives its timing and what it allocated.
        """;

    private static readonly string[] Valued = ["parts", "model", "heldout", "speed", "late-policy", "min-score", "seed", "snapshots", "threads", "verifier", "verifier-band"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, Valued);
        if (!cl.Flag("sim"))
            throw new UsageException("edge inspect runs the synthetic line: add --sim (a real line runs in 'edge run' from the config's \"inspection\" section, docs/config.md)");
        int partCount = cl.Int("parts", 200, 1, 1_000_000);
        var modelName = cl.Value("model") ?? "defect";
        bool int8 = cl.Flag("int8");
        var heldoutDir = cl.Value("heldout");
        float speed = cl.Float("speed", 0.5f, 0.01f, 20f);
        var policy = (cl.Value("late-policy") ?? "reject") switch
        {
            "reject" => FailSafePolicy.Reject,
            "pass" => FailSafePolicy.PassAndAlert,
            var other => throw new UsageException($"--late-policy must be reject or pass, given '{other}'"),
        };
        float? minScore = cl.Value("min-score") is null ? null : cl.Float("min-score", InspectionOptions.DefaultMinScore, 0.001f, 1f);
        int seed = cl.Int("seed", 1, 0, int.MaxValue);
        var snapshotDir = cl.Value("snapshots");
        int threads = cl.Int("threads", 0, 0, 256);
        bool quiet = cl.Flag("quiet");
        bool continuous = cl.Flag("continuous");
        var verifier = cl.Value("verifier");
        VerifierBand? band;
        try { band = cl.Value("verifier-band") is { } text ? VerifierBand.Parse(text, "--verifier-band") : null; }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        cl.RejectUnknown();

        if (snapshotDir is not null) SnapshotStore.EnsureFolder(snapshotDir); // refused before the run, not after it
        var modelPath = DetectionModels.Resolve(modelName, int8);
        var conveyor = new ConveyorSettings { SpeedMps = speed, Seed = seed };
        conveyor.Validate();
        // The pulse must end before the next part can be due.
        var pulse = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(40).Ticks, conveyor.MinimumSpacing.Ticks / 2));
        var lead = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(20).Ticks, conveyor.RejectDelay.Ticks / 4));
        var options = new InspectionOptions
        {
            Line = "sim", MinScore = minScore, RejectDelay = conveyor.RejectDelay, PulseWidth = pulse, ActuatorLead = lead,
            LatePolicy = policy, SnapshotFolder = snapshotDir, PhotoEyeDebounce = TimeSpan.FromMilliseconds(1),
            // The virtual clock runs the belt many times faster than real time, while the writer encodes in real time:
            // a deeper queue keeps a fast simulated belt from dropping snapshots a real one would keep (drops are printed).
            SnapshotQueue = 64,
        };
        options.Validate();

        var (detector, effective) = DetectionModels.LoadForRules(modelPath, options, threads, new StderrLogger(stderr), verifier, "--verifier",
            band, "--verifier-band");
        using var _detector = detector;
        options = effective;
        detector.Warmup();
        var set = DetectionModels.Heldout(heldoutDir, modelPath, detector.Labels.Names);
        var jpegs = set.Images.Select(i => File.ReadAllBytes(set.PathOf(i))).ToArray();
        var truth = set.Images.Select(i => i.Boxes.Count > 0).ToArray();
        // The line warms up before the belt starts: decode and detect a few parts so JIT is not on the first ones' clock.
        using (var warm = new ImageBuffer())
        {
            var scratch = new List<Edge.Models.Detection.Detection>();
            for (int i = 0; i < Math.Min(jpegs.Length, 30); i++)
            {
                ImageCodec.Decode(jpegs[i], warm, PixelFormat.Rgb24);
                scratch.Clear();
                detector.DetectInto(warm, scratch);
            }
        }

        using var chip = new SimulatedGpioChip();
        var (eye, reject, light) = ConveyorSimulation.Wire(chip, conveyor, options);
        using var _eye = eye;
        using var _reject = reject;
        using var _light = light;
        var parts = ConveyorSimulation.Plan(partCount, truth, conveyor, chip.NowNs + 100_000_000);
        using var camera = new SimulatedCamera(parts, (part, frame) => ImageCodec.Decode(jpegs[part.Image], frame, PixelFormat.Rgb24));
        var sink = new RecordingInspectionSink();
        var epoch = new DateTimeOffset(2025, 1, 6, 6, 0, 0, TimeSpan.Zero);
        long originNs = chip.NowNs;
        if (continuous)
            return RunContinuous(stdout, stderr, options, conveyor, detector, set, jpegs, truth, partCount, light, reject, chip, sink, epoch, modelPath, quiet);

        var line = new InspectionLine(options, chip, reject, camera, new DetectorInspector(detector), light, sink,
            wallClock: ns => epoch.AddTicks((ns - originNs) / 100));

        stdout.WriteLine($"edge inspect --sim: {partCount} parts from {set.Images.Count} held-out images, model {Path.GetFileName(modelPath)}, belt {speed} m/s, "
                         + $"reject delay {options.RejectDelay.TotalMilliseconds:0.#} ms, pulse {options.PulseWidth.TotalMilliseconds:0.#} ms, "
                         + $"decision deadline trigger + {options.ActuatorDeadlineMargin.TotalMilliseconds:0.#} ms, late policy {policy}, seed {seed}");
        stdout.WriteLine(ScoresLine(options, detector));
        var progress = new Progress(stderr, partCount);
        line.Inspected += progress.OnPart;
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        var wall = Stopwatch.StartNew();
        var report = ConveyorSimulation.Run(chip, line, eye, parts, conveyor);
        wall.Stop();
        line.Inspected -= progress.OnPart;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - a0;
        line.Dispose(); // the snapshots still queued are written before the summary counts them

        if (!quiet)
        {
            stdout.WriteLine("rejected parts (part = the line's part id, as in snapshot names and defect events; time = virtual ms after the part's trigger):");
            foreach (var r in report.Parts.Where(r => r.Rejected))
            {
                var p = r.Part;
                string why = r.Verdict.Outcome == GateOutcome.LateRejected ? "LATE → fail-safe reject"
                    : string.Join(" ", sink.Defects.FirstOrDefault(d => d.PartId == r.Verdict.PartId)?.Defects
                        .Select(d => d.IsVerified ? $"{d.Label} {d.Score:0.00} (verified {d.Verified:0.00})" : $"{d.Label} {d.Score:0.00}") ?? []);
                stdout.WriteLine($"  part {r.Verdict.PartId,5} {set.Images[p.Image].File,-10} truth {(p.TrulyDefective ? "defect" : "good"),-6} pulse +{(r.PulseStartNs!.Value - p.BeamNs) / 1e6,8:0.000} ms "
                                 + $"({r.PulseWidthNs / 1e6:0.0} ms wide), decided +{r.Verdict.TriggerToDecisionMs,6:0.0} ms  {why}");
            }
        }
        Summary(stdout, report, line, light, sink, allocated, wall.Elapsed, modelPath, set);
        return report.GateMissed == 0 && report.GateWrong == 0 ? 0 : 1;
    }

    private static int RunContinuous(TextWriter stdout, TextWriter stderr, InspectionOptions options, ConveyorSettings conveyor, ObjectDetector detector,
        LabelledImageSet set, byte[][] jpegs, bool[] truth, int partCount, StackLight light, Edge.Agent.Devices.DigitalIo.DigitalOutput reject,
        SimulatedGpioChip chip, RecordingInspectionSink sink, DateTimeOffset epoch, string modelPath, bool quiet)
    {
        var images = new ImageBuffer[jpegs.Length];
        // Coverage masks (masks/NNNN.png beside the images, written by make_heldout.py): with them each part is laid onto
        // one moving belt; without them whole images are pasted, their own belt backgrounds included.
        var masks = new ImageBuffer?[jpegs.Length];
        var outlines = new ImageBuffer?[jpegs.Length];
        try
        {
            for (int i = 0; i < jpegs.Length; i++)
            {
                images[i] = new ImageBuffer();
                ImageCodec.Decode(jpegs[i], images[i], PixelFormat.Rgb24);
                if (images[i].Width != images[0].Width || images[i].Height != images[0].Height)
                    throw new UsageException($"--continuous needs held-out images of one size: {set.Images[i].File} is {images[i].Width}×{images[i].Height}, the first {images[0].Width}×{images[0].Height}");
                string maskPath = Path.Combine(set.Folder, "masks", Path.ChangeExtension(set.Images[i].File, ".png"));
                if (!File.Exists(maskPath)) continue;
                masks[i] = new ImageBuffer();
                try { ImageCodec.Load(maskPath, masks[i]!, PixelFormat.Gray8); }
                catch (ImageDecodeException e) { throw new UsageException($"part mask {e.Message}"); } // Load's message starts with the path
                if (masks[i]!.Width != images[i].Width || masks[i]!.Height != images[i].Height)
                    throw new UsageException($"part mask {maskPath} is {masks[i]!.Width}×{masks[i]!.Height}, its image {images[i].Width}×{images[i].Height}");
                outlines[i] = ContinuousConveyor.Outline(masks[i]!);
            }
            bool composite = masks.All(m => m is not null);
            int w = images[0].Width, h = images[0].Height;
            var camera = new BeltCameraSettings { FrameWidth = 2 * w, FrameHeight = h, PartWidth = w, Seed = conveyor.Seed };
            var belt = composite ? new BeltTexture(h, conveyor.Seed) : null;
            var parts = ConveyorSimulation.Plan(partCount, truth, conveyor, chip.NowNs);
            long originNs = chip.NowNs;
            using var inspection = new ContinuousInspection(options, chip, reject, new DetectorInspector(detector), decisionLineX: w,
                cropWidth: w, cropHeight: h, light: light, sink: sink, wallClock: ns => epoch.AddTicks((ns - originNs) / 100),
                framePeriod: camera.FramePeriod);
            stdout.WriteLine($"edge inspect --sim --continuous: {partCount} parts from {set.Images.Count} held-out images "
                             + (composite ? "laid on a moving belt by their masks" : "pasted whole (no masks/ beside them)")
                             + $", sliding through {camera.FrameWidth}×{camera.FrameHeight} frames "
                             + $"({camera.PixelsPerFrame} px/frame, {camera.FramesPerPart} frames in view, a frame every {camera.FramePeriod.TotalMilliseconds:0.#} ms), decision line x = {w}, "
                             + $"model {Path.GetFileName(modelPath)}, reject delay {options.RejectDelay.TotalMilliseconds:0.#} ms after the crossing, pulse {options.PulseWidth.TotalMilliseconds:0.#} ms, "
                             + $"deadline crossing + {options.ActuatorDeadlineMargin.TotalMilliseconds:0.#} ms, late policy {options.LatePolicy}");
            stdout.WriteLine(ScoresLine(options, detector));
            var progress = new Progress(stderr, partCount);
            inspection.Line.Inspected += progress.OnPart;
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            var wall = Stopwatch.StartNew();
            var run = ContinuousConveyor.Run(chip, inspection, parts, camera, PixelFormat.Rgb24, (part, frame, x) =>
            {
                if (composite) ContinuousConveyor.Composite(images[part.Image], masks[part.Image]!, frame, x, outline: outlines[part.Image]);
                else ContinuousConveyor.Paste(images[part.Image], frame, x);
            }, 27, belt);
            wall.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - a0;
            inspection.Line.Inspected -= progress.OnPart;
            inspection.Line.Dispose(); // the snapshots still queued are written before the summary counts them
            var report = run.Conveyor;
            if (!quiet)
            {
                stdout.WriteLine("rejected parts (part = the line's part id, as in snapshot names and defect events; time = virtual ms after the part crossed the decision line):");
                foreach (var r in report.Parts.Where(r => r.Rejected))
                    stdout.WriteLine($"  part {r.Verdict.PartId,5} {set.Images[r.Part.Image].File,-10} truth {(r.Part.TrulyDefective ? "defect" : "good"),-6} pulse +{(r.PulseStartNs!.Value - r.Part.BeamNs) / 1e6,8:0.000} ms, decided +{r.Verdict.TriggerToDecisionMs,6:0.0} ms  {r.Verdict.Outcome}");
            }
            stdout.WriteLine($"continuous: parts on the belt {run.PartsOnBelt}, counted by the tracker {run.Counted}, inspected at the line {run.Inspected}, not inspected {run.NotInspected}, "
                             + $"inspected twice {run.InspectedTwice}, crossings matching no part {run.Unmatched}; frames {run.Frames} processed, {run.DroppedFrames} dropped (previous frame still being inspected)");
            Summary(stdout, report, inspection.Line, light, sink, allocated, wall.Elapsed, modelPath, set);
            bool countedOnce = run.Counted == partCount && run.Inspected == partCount && run.NotInspected == 0 && run.InspectedTwice == 0;
            return countedOnce && report.GateMissed == 0 && report.GateWrong == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var image in images) image?.Dispose();
            foreach (var mask in masks) mask?.Dispose();
            foreach (var outline in outlines) outline?.Dispose();
        }
    }

    /// <summary>
    /// "0118.jpg ×6 (missing_hole 0.26 ≥ 0.25)": the parts grouped by image, most frequent first, each with the
    /// detection that decided it (the highest-scoring of the group's), or why there was none.
    /// </summary>
    internal static string ErrorImages(IEnumerable<SimulatedPartResult> parts, LabelledImageSet set, DecisionRules rules) => string.Join(", ", parts
        .GroupBy(p => p.Part.Image).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
        .Select(g =>
        {
            string name = g.Count() == 1 ? set.Images[g.Key].File : $"{set.Images[g.Key].File} ×{g.Count()}";
            int late = g.Count(p => p.Verdict.Late);
            var best = g.Where(p => p.Deciding is not null).Select(p => p.Deciding!.Value).DefaultIfEmpty().MaxBy(d => d.Score);
            string why = best.Label is null ? $"no detection above {Score(rules.LowestScore)}" : Why(best, rules);
            return late > 0 ? $"{name} ({why}; {late} late)" : $"{name} ({why})";
        }));

    private static string Score(float s) => s.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>
    /// Why <paramref name="d"/> did or did not make its part defective: <c>scratch 0.81 ≥ 0.71</c>, <c>scratch 0.64 &lt; 0.71</c>,
    /// and with a second look <c>scratch 0.64 verified 0.91 ≥ 0.8</c> (rejected by the verifier) or
    /// <c>scratch 0.64 &lt; 0.71, verified 0.30 &lt; 0.8</c> (let pass); with a band that vetoes,
    /// <c>scratch 0.78 &lt; 0.85, verified 0.10 &lt; 0.22</c> (let pass although above the class's 0.71).
    /// </summary>
    internal static string Why(in Detection d, DecisionRules rules)
    {
        float min = rules.MinScoreOf(d.ClassId);
        string score = d.Score.ToString("0.00", CultureInfo.InvariantCulture);
        string verified = d.Verified.ToString("0.00", CultureInfo.InvariantCulture);
        bool looked = rules.HasVerifier && d.ClassId == rules.VerifierClassId && d.IsVerified && d.Score >= rules.VerifierFrom;
        if (rules.SecondLookDecides(d))
        {
            if (!rules.PassesSecondLook(d))
                return $"{d.Label} {score} < {Score(rules.VerifierTo)}, verified {verified} < {Score(rules.VerifierMin)}";
            if (rules.Counts(d)) return $"{d.Label} {score} verified {verified} ≥ {Score(rules.VerifierMin)}";
            return $"{d.Label} {score}, not counted: class, area or region rules";
        }
        if (rules.Counts(d))
            return d.Score < min && rules.PassesSecondLook(d) ? $"{d.Label} {score} verified {verified} ≥ {Score(rules.VerifierMin)}" : $"{d.Label} {score} ≥ {Score(min)}";
        if (d.Score < min && !rules.PassesSecondLook(d))
            return looked ? $"{d.Label} {score} < {Score(min)}, verified {verified} < {Score(rules.VerifierMin)}" : $"{d.Label} {score} < {Score(min)}";
        return $"{d.Label} {score}, not counted: class, area or region rules";
    }

    private static void Summary(TextWriter o, ConveyorReport r, InspectionLine line, StackLight light, RecordingInspectionSink sink,
        long allocated, TimeSpan wall, string modelPath, LabelledImageSet set)
    {
        var t2d = r.Parts.Select(p => p.Verdict.TriggerToDecisionMs).ToArray();
        var model = r.Parts.Select(p => p.Verdict.ModelMs).ToArray();
        var compute = r.Parts.Select(p => p.Verdict.ComputeMs).ToArray();
        double t2d99 = Percentile(t2d, 0.99), model50 = Percentile(model, 0.5), model99 = Percentile(model, 0.99);
        var beyondModel = r.Parts.Select(p => p.Verdict.TriggerToDecisionMs - p.Verdict.ModelMs).ToArray();
        double beyond99 = Percentile(beyondModel, 0.99);
        var shift = line.Shift.Snapshot();
        o.WriteLine("summary:");
        o.WriteLine($"  parts {r.Parts.Count}, defective (truth) {r.TrulyDefective}, judged defective {r.JudgedDefective}, rejected {r.Rejected}");
        o.WriteLine($"  versus ground truth:      missed rejects {r.MissedVsTruth}, wrong rejects {r.WrongVsTruth}  (detector errors and fail-safe outcomes)");
        // Which held-out images the misses and wrong rejects came from (each image recurs on the belt), and why.
        if (r.MissedVsTruth > 0) o.WriteLine($"    missed (defective, passed): {ErrorImages(r.Parts.Where(p => p.Part.TrulyDefective && !p.Rejected), set, line.Rules)}");
        if (r.WrongVsTruth - r.StrayPulses > 0) o.WriteLine($"    wrong (good, rejected): {ErrorImages(r.Parts.Where(p => !p.Part.TrulyDefective && p.Rejected), set, line.Rules)}");
        o.WriteLine($"  versus detector decisions: gate missed {r.GateMissed}, gate wrong {r.GateWrong}, stray pulses {r.StrayPulses}  (must be 0/0)");
        int outOfWindow = r.Parts.Count(p => p.Rejected && Math.Abs(p.PulseStartNs!.Value - p.Part.BeamNs - r.RejectDelay.Ticks * 100) > ConveyorSimulation.WindowNs);
        int badWidth = r.Parts.Count(p => p.Rejected && p.PulseWidthNs != r.PulseWidth.Ticks * 100);
        o.WriteLine($"  pulses outside trigger + delay ± 1 ms: {outOfWindow}; pulses not {r.PulseWidth.TotalMilliseconds:0.#} ms wide: {badWidth}");
        o.WriteLine($"  late decisions {r.Late} (fail-safe rejected {r.LateRejected}, passed with alert {r.LatePassed})");
        o.WriteLine($"  trigger-to-decision p50 {Percentile(t2d, 0.5):0.00} ms, p99 {t2d99:0.00} ms; capture+detect+rules p50 {Percentile(compute, 0.5):0.00} ms, p99 {Percentile(compute, 0.99):0.00} ms");
        o.WriteLine($"  model (ORT Run) p50 {model50:0.00} ms, p99 {model99:0.00} ms; trigger-to-decision minus the part's own model time p50 {Percentile(beyondModel, 0.5):0.00} ms, p99 {beyond99:0.00} ms");
        o.WriteLine($"  goal trigger-to-decision p99 ≤ model time + 10 ms: per part (p99 of the difference) {beyond99:0.00} ≤ 10: {(beyond99 <= 10 ? "met" : "NOT met")}; "
                    + $"p99 vs p99 model + 10 = {model99 + 10:0.00}: {(t2d99 <= model99 + 10 ? "met" : "NOT met")}; p99 vs median model + 10 = {model50 + 10:0.00}: {(t2d99 <= model50 + 10 ? "met" : "NOT met")}");
        o.WriteLine($"  yield (judged) {r.Yield:P1}, (truth) {r.TruthYield:P1}; shift counters: parts {shift.Parts}, defective {shift.Defective}, rejected {shift.Rejected}, late {shift.LateDecisions}, "
                    + $"by class {string.Join(", ", shift.DefectsByClass.Select(kv => $"{kv.Key} {kv.Value}"))}");
        o.WriteLine($"  stack light {light.Color} ({light.Changes} changes); MQTT: {sink.Defects.Count} defect events, {sink.Summaries.Count} minute summaries"
                    + (line.Snapshots is { } s ? $"; snapshots kept {s.Store.Count} in {s.Store.Folder} (deleted {s.Store.Deleted}, dropped {s.SnapshotsDropped} for a full queue, write errors {s.WriteErrors})" : ""));
        o.WriteLine($"  simulated {(r.Parts.Count == 0 ? 0 : (r.Parts[^1].Part.BeamNs - r.Parts[0].Part.BeamNs) / 1e9):0.0} s of belt in {wall.TotalSeconds:0.0} s; "
                    + $"managed bytes allocated per part {allocated / Math.Max(1, r.Parts.Count):0} on the line's thread (simulator and events included; snapshots are encoded on the writer's thread); model {Path.GetFileName(modelPath)}");
        var own = line.Allocations;
        o.WriteLine($"  the line's own work (capture, detect, rules, gate, counters, light, event; the simulator apart): good parts {own.GoodBytes} bytes in all over {own.GoodParts} "
                    + $"({own.GoodPartsAllocating} allocated anything{(own.GoodPartsAllocating > 0 ? $", the last of them part {own.LastAllocatingPart}" : "")}), "
                    + $"defective or late parts {own.OtherBytesPerPart:0} bytes each (the event; with snapshots, the snapshot's name); minute summaries {own.SummaryBytes} bytes in all");
    }

    /// <summary>A line on stderr every few seconds of a long run: parts inspected so far, of how many (nothing for a run shorter than that).</summary>
    internal sealed class Progress(TextWriter stderr, int total, TimeSpan? every = null)
    {
        private readonly long _every = (long)((every ?? TimeSpan.FromSeconds(5)).TotalSeconds * Stopwatch.Frequency);
        private readonly long _start = Stopwatch.GetTimestamp();
        private long _next = -1;
        private int _parts;

        public void OnPart(PartVerdict verdict)
        {
            _parts++;
            long now = Stopwatch.GetTimestamp();
            if (_next < 0) _next = _start + _every;
            if (now < _next) return;
            _next = now + _every;
            stderr.WriteLine($"edge inspect: {_parts} of {total} parts inspected ({100.0 * _parts / Math.Max(1, total):0} %), {Stopwatch.GetElapsedTime(_start, now).TotalSeconds:0} s");
        }
    }

    internal static double Percentile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        double rank = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    private static string ScoresLine(InspectionOptions options, ObjectDetector detector) =>
        $"lowest scores that count: {DetectionModels.DescribeScores(options, detector.Labels.Names)} "
        + (options.MinScore is not null ? "(--min-score)" : detector.RecommendedMinScores is not null ? "(the model's recommendation, its min_score metadata)" : "(the default)")
        + $"; {DetectionModels.DescribeVerifier(detector)}";
}
