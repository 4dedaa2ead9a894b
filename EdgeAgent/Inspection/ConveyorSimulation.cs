using Edge.Agent.Devices;
using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Simulation;
using Edge.Models.Imaging;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Inspection;

/// <summary>A synthetic conveyor: belt speed, part spacing, distances, and the lines the simulated board uses.</summary>
public sealed record ConveyorSettings
{
    public double SpeedMps { get; init; } = 0.5;
    /// <summary>Mean distance between the leading edges of consecutive parts.</summary>
    public double PitchM { get; init; } = 0.25;
    /// <summary>Spacing varies uniformly by ± this fraction of the pitch.</summary>
    public double PitchJitter { get; init; } = 0.3;
    /// <summary>Part length along the belt: how long the photo-eye beam stays broken.</summary>
    public double PartLengthM { get; init; } = 0.10;
    /// <summary>From the photo-eye (and camera) to the reject actuator.</summary>
    public double CameraToRejectM { get; init; } = 0.25;
    public int Seed { get; init; } = 1;
    public int PhotoEyeLine { get; init; } = 17;
    public int RejectLine { get; init; } = 27;
    public int GreenLine { get; init; } = 22;
    public int AmberLine { get; init; } = 23;
    public int RedLine { get; init; } = 24;

    public TimeSpan RejectDelay => TimeSpan.FromSeconds(CameraToRejectM / SpeedMps);

    /// <summary>The shortest gap between parts, in time.</summary>
    public TimeSpan MinimumSpacing => TimeSpan.FromSeconds(PitchM * (1 - PitchJitter) / SpeedMps);

    public void Validate()
    {
        if (!(SpeedMps is > 0 and <= 20)) throw new ArgumentException($"conveyor SpeedMps = {SpeedMps} is out of range (allowed: above 0, at most 20)", nameof(SpeedMps));
        if (!(PitchJitter is >= 0 and < 1)) throw new ArgumentException($"conveyor PitchJitter = {PitchJitter} is out of range (allowed: 0..1, 1 excluded)", nameof(PitchJitter));
        if (!(PartLengthM > 0 && PartLengthM < PitchM * (1 - PitchJitter)))
            throw new ArgumentException($"conveyor PartLengthM = {PartLengthM} is out of range (allowed: above 0, below the shortest pitch {PitchM * (1 - PitchJitter):0.###} m)", nameof(PartLengthM));
        if (!(CameraToRejectM > 0)) throw new ArgumentException($"conveyor CameraToRejectM = {CameraToRejectM} is out of range (allowed: above 0)", nameof(CameraToRejectM));
    }
}

/// <summary>One part on the synthetic conveyor: which image it is, whether it truly has a defect, when it breaks the beam.</summary>
public readonly record struct SimulatedPart(int Index, int Image, bool TrulyDefective, long BeamNs, long BeamWidthNs);

/// <summary>
/// A part's run through the line: the verdict, the reject pulse seen on the output (if any), and the detection that
/// explains the verdict (<see cref="Deciding"/>).
/// </summary>
public readonly record struct SimulatedPartResult(SimulatedPart Part, PartVerdict Verdict, long? PulseStartNs, long? PulseWidthNs,
    Det? Deciding = null)
{
    public bool Rejected => PulseStartNs is not null;
    /// <summary>Whether the gate had to fire: judged defective in time, or late under the reject policy.</summary>
    public bool GateShouldFire => Verdict.Outcome is GateOutcome.Rejected or GateOutcome.LateRejected;
}

/// <summary>The camera of the synthetic conveyor: finds the part by its trigger time and renders its frame.</summary>
public sealed class SimulatedCamera(IReadOnlyList<SimulatedPart> parts, Action<SimulatedPart, ImageBuffer> render) : IPartCamera, IDisposable
{
    private readonly Dictionary<long, int> _byTrigger = parts.Select((p, i) => (p.BeamNs, i)).ToDictionary(x => x.BeamNs, x => x.i);
    private readonly ImageBuffer _frame = new();

    /// <summary>The part last captured.</summary>
    public SimulatedPart Current { get; private set; }

    public ImageBuffer Capture(long triggerNs)
    {
        if (!_byTrigger.TryGetValue(triggerNs, out int i))
            throw new InvalidOperationException($"simulated camera: no part broke the beam at {triggerNs} ns");
        Current = parts[i];
        render(Current, _frame);
        return _frame;
    }

    public void Dispose() => _frame.Dispose();
}

/// <summary>What a simulated run produced, part by part, and the pulses that matched no part.</summary>
public sealed record ConveyorReport(IReadOnlyList<SimulatedPartResult> Parts, int StrayPulses, TimeSpan RejectDelay, TimeSpan PulseWidth)
{
    public int TrulyDefective => Parts.Count(p => p.Part.TrulyDefective);
    public int JudgedDefective => Parts.Count(p => p.Verdict.Defective);
    public int Rejected => Parts.Count(p => p.Rejected);
    /// <summary>Truly defective parts that were not rejected (detector misses and late passes).</summary>
    public int MissedVsTruth => Parts.Count(p => p.Part.TrulyDefective && !p.Rejected);
    /// <summary>Good parts that were rejected (detector false alarms and fail-safe rejects), plus stray pulses.</summary>
    public int WrongVsTruth => Parts.Count(p => !p.Part.TrulyDefective && p.Rejected) + StrayPulses;
    /// <summary>Parts the gate had to reject (judged defective, or late under the reject policy) but did not, in their window.</summary>
    public int GateMissed => Parts.Count(p => p.GateShouldFire && !p.Rejected);
    /// <summary>Pulses for parts the gate had no reason to reject, plus stray pulses.</summary>
    public int GateWrong => Parts.Count(p => !p.GateShouldFire && p.Rejected) + StrayPulses;
    public int Late => Parts.Count(p => p.Verdict.Late);
    public int LateRejected => Parts.Count(p => p.Verdict.Outcome == GateOutcome.LateRejected);
    public int LatePassed => Parts.Count(p => p.Verdict.Outcome == GateOutcome.LatePassed);
    public double Yield => Parts.Count == 0 ? 1 : (double)Parts.Count(p => !p.Verdict.Defective) / Parts.Count;
    public double TruthYield => Parts.Count == 0 ? 1 : (double)Parts.Count(p => !p.Part.TrulyDefective) / Parts.Count;
}

/// <summary>
/// Runs an <see cref="InspectionLine"/> against a synthetic conveyor on a <see cref="SimulatedGpioChip"/>: photo-eye
/// pulses at conveyor timing, the line watching the photo-eye, and the reject output's recorded history read back
/// and matched to parts (a pulse belongs to the part whose trigger + delay it starts within ±1 ms of).
/// </summary>
public static class ConveyorSimulation
{
    /// <summary>The matching window around trigger + delay.</summary>
    public static readonly long WindowNs = 1_000_000;

    /// <summary>Lays <paramref name="count"/> parts on the belt, cycling through the images in a seeded order.</summary>
    public static List<SimulatedPart> Plan(int count, IReadOnlyList<bool> imageDefective, ConveyorSettings settings, long firstBeamNs)
    {
        ArgumentNullException.ThrowIfNull(imageDefective);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (imageDefective.Count == 0) throw new ArgumentException("the conveyor needs at least one part image", nameof(imageDefective));
        var rng = new Random(settings.Seed);
        var order = Enumerable.Range(0, imageDefective.Count).ToArray();
        var parts = new List<SimulatedPart>(count);
        long beam = firstBeamNs;
        long widthNs = (long)(settings.PartLengthM / settings.SpeedMps * 1e9);
        for (int i = 0; i < count; i++)
        {
            if (i % order.Length == 0) rng.Shuffle(order);
            int image = order[i % order.Length];
            parts.Add(new SimulatedPart(i, image, imageDefective[image], beam, widthNs));
            double pitch = settings.PitchM * (1 + settings.PitchJitter * (2 * rng.NextDouble() - 1));
            beam += (long)(pitch / settings.SpeedMps * 1e9);
        }
        return parts;
    }

    /// <summary>
    /// Scripts the photo-eye for <paramref name="parts"/>, lets <paramref name="line"/> inspect every part, runs the
    /// clock past the last reject, and reads the reject line's history back.
    /// </summary>
    public static ConveyorReport Run(SimulatedGpioChip chip, InspectionLine line, DigitalInput photoEye, IReadOnlyList<SimulatedPart> parts, ConveyorSettings settings)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(photoEye);
        ArgumentNullException.ThrowIfNull(parts);
        bool level = !photoEye.Options.ActiveLow;
        foreach (var p in parts) chip.ScriptPulse(settings.PhotoEyeLine, p.BeamNs, p.BeamWidthNs, level);

        var verdicts = new Dictionary<long, (PartVerdict Verdict, Det? Deciding)>(parts.Count);
        void OnPart(PartVerdict v) => verdicts[v.TriggerNs] = (v, DecidingDetection(line));
        line.Inspected += OnPart;
        try
        {
            var idle = line.Options.RejectDelay + line.Options.PulseWidth + TimeSpan.FromSeconds(1);
            line.RunPhotoEye(photoEye, idle, stopWhenIdle: true);
        }
        finally
        {
            line.Inspected -= OnPart;
        }

        long delayNs = line.Options.RejectDelay.Ticks * 100;
        var pulses = Pulses(chip.History(settings.RejectLine));
        var byExpected = new SortedList<long, int>(parts.Count);
        for (int i = 0; i < parts.Count; i++) byExpected[parts[i].BeamNs + delayNs] = i;
        var pulseOf = new (long Start, long Width)?[parts.Count];
        int stray = 0;
        foreach (var (start, width) in pulses)
        {
            int match = -1;
            foreach (var (expected, i) in byExpected)
            {
                if (expected < start - WindowNs) continue;
                if (expected > start + WindowNs) break;
                match = i;
                break;
            }
            if (match < 0 || pulseOf[match] is not null) { stray++; continue; }
            pulseOf[match] = (start, width);
        }
        var results = new List<SimulatedPartResult>(parts.Count);
        for (int i = 0; i < parts.Count; i++)
        {
            if (!verdicts.TryGetValue(parts[i].BeamNs, out var v))
                throw new InvalidOperationException($"part {i} (beam at {parts[i].BeamNs} ns) was never inspected");
            results.Add(new SimulatedPartResult(parts[i], v.Verdict, pulseOf[i]?.Start, pulseOf[i]?.Width, v.Deciding));
        }
        return new ConveyorReport(results, stray, line.Options.RejectDelay, line.Options.PulseWidth);
    }

    /// <summary>
    /// What explains the verdict the line just reached: for a defective part its highest-scoring detection that
    /// counts; for a good part its highest-scoring detection (one that scored too low, was too small or lay outside
    /// the regions); null when the detector returned nothing at or above its own threshold.
    /// </summary>
    public static Det? DecidingDetection(InspectionLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        Det? counted = null, any = null;
        foreach (var d in line.LastDetections)
        {
            if (any is null || d.Score > any.Value.Score) any = d;
            if (line.Rules.Counts(d) && (counted is null || d.Score > counted.Value.Score)) counted = d;
        }
        return counted ?? any;
    }

    /// <summary>(start, width) of each high period in an output's history; a pulse still high at the end has width −1.</summary>
    public static List<(long Start, long Width)> Pulses(IReadOnlyList<(long TimeNs, bool Value)> history)
    {
        var pulses = new List<(long, long)>();
        long? start = null;
        for (int i = 1; i < history.Count; i++)
        {
            var (t, v) = history[i];
            if (v && start is null) start = t;
            else if (!v && start is { } s) { pulses.Add((s, t - s)); start = null; }
        }
        if (start is { } open) pulses.Add((open, -1));
        return pulses;
    }

    /// <summary>Requests the photo-eye, reject and stack light lines the settings name, on <paramref name="chip"/>.</summary>
    public static (DigitalInput PhotoEye, DigitalOutput Reject, StackLight Light) Wire(SimulatedGpioChip chip, ConveyorSettings settings, InspectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        // A PNP photo-eye: the line goes high while a part breaks the beam.
        var eye = new DigitalInput(chip, settings.PhotoEyeLine, new DigitalInputOptions
        {
            ActiveLow = false, Bias = GpioBias.PullDown, Debounce = options.PhotoEyeDebounce, Consumer = "photo-eye",
        });
        var reject = new DigitalOutput(chip, settings.RejectLine, consumer: "reject");
        var light = new StackLight(new DigitalOutput(chip, settings.GreenLine, consumer: "light-green"),
            new DigitalOutput(chip, settings.AmberLine, consumer: "light-amber"), new DigitalOutput(chip, settings.RedLine, consumer: "light-red"));
        return (eye, reject, light);
    }
}

/// <summary>A synthetic belt seen by a camera in continuous mode: frame size, part image width, how parts slide through.</summary>
public sealed record BeltCameraSettings
{
    public int FrameWidth { get; init; } = 640;
    public int FrameHeight { get; init; } = 320;
    /// <summary>Width of a part's image (the held-out images are 320 wide).</summary>
    public int PartWidth { get; init; } = 320;
    /// <summary>Frames in which a part is at least partly in view: sets the belt's pixels per frame.</summary>
    public int FramesPerPart { get; init; } = 12;
    /// <summary>Fewest pixels between one part's image and the next; each gap adds up to as much again (seeded).</summary>
    public int GapPx { get; init; } = 64;
    public TimeSpan FramePeriod { get; init; } = TimeSpan.FromMilliseconds(20);
    /// <summary>Gray level of the empty belt.</summary>
    public byte Belt { get; init; } = 16;
    public int Seed { get; init; } = 1;

    /// <summary>Belt motion per frame, a multiple of 4 pixels.</summary>
    public int PixelsPerFrame => Math.Max(4, (FrameWidth + PartWidth) / FramesPerPart / 4 * 4);

    public void Validate()
    {
        if (FrameWidth < PartWidth || FrameHeight < 8) throw new ArgumentException($"belt camera FrameWidth = {FrameWidth} is out of range (allowed: at least PartWidth {PartWidth})", nameof(FrameWidth));
        if (FramesPerPart is < 2 or > 10_000) throw new ArgumentException($"belt camera FramesPerPart = {FramesPerPart} is out of range (allowed: 2..10000)", nameof(FramesPerPart));
        if (GapPx < 8) throw new ArgumentException($"belt camera GapPx = {GapPx} is out of range (allowed: 8 or more, so blobs stay apart)", nameof(GapPx));
        if (FramePeriod <= TimeSpan.Zero) throw new ArgumentException($"belt camera FramePeriod = {FramePeriod} is out of range (allowed: above 0)", nameof(FramePeriod));
    }
}

/// <summary>What a continuous run produced: the parts as a <see cref="ConveyorReport"/> (trigger = crossing time) and the counts around it.</summary>
public sealed record ContinuousReport(ConveyorReport Conveyor, int PartsOnBelt, long Counted, long Inspected, int NotInspected,
    int InspectedTwice, long Frames, int DroppedFrames, int Unmatched);

/// <summary>
/// Continuous mode on the synthetic belt: parts slide left to right through a wider frame, several frames each; every
/// frame is rendered (a <see cref="BeltTexture"/> moving with the parts, or a flat dark belt, and the parts laid on it
/// at their positions by the caller's paste: <see cref="Composite"/> with coverage masks, or whole images with
/// <see cref="Paste"/>), timestamped on the virtual clock and
/// handed to a <see cref="ContinuousInspection"/>. A frame whose time has passed while the previous one was being
/// inspected is dropped, as a camera's would be. Crossings are matched to the part whose image centre is nearest the
/// crossing box's centre; pulses to parts by crossing + delay (± 1 ms).
/// </summary>
public static class ContinuousConveyor
{
    /// <summary>Copies <paramref name="part"/> into <paramref name="frame"/> with its left edge at <paramref name="x"/>, vertically centred, clipped.</summary>
    public static void Paste(ImageBuffer part, ImageBuffer frame, int x)
    {
        ArgumentNullException.ThrowIfNull(part);
        ArgumentNullException.ThrowIfNull(frame);
        if (part.Format != frame.Format) throw new ArgumentException($"part image is {part.Format}, the frame {frame.Format}", nameof(part));
        int bpp = frame.BytesPerPixel;
        int from = Math.Max(0, -x), to = Math.Min(part.Width, frame.Width - x);
        if (to <= from) return;
        int top = (frame.Height - part.Height) / 2;
        for (int y = 0; y < part.Height; y++)
        {
            int fy = top + y;
            if ((uint)fy >= (uint)frame.Height) continue;
            part.Row(y).Slice(from * bpp, (to - from) * bpp).CopyTo(frame.Row(fy).Slice((x + from) * bpp));
        }
    }

    /// <summary>
    /// The part's outline without its holes, for its shadow: <paramref name="mask"/> (Gray8) with every dark region that
    /// does not reach the image border (a through hole) filled with 255. The belt seen through a hole lies in the
    /// part's shadow, as the generator draws it; a shadow cast by the holed mask would light the holes up instead.
    /// </summary>
    public static ImageBuffer Outline(ImageBuffer mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Format != PixelFormat.Gray8) throw new ArgumentException($"a part's mask must be Gray8, not {mask.Format}", nameof(mask));
        int w = mask.Width, h = mask.Height;
        var outside = new bool[w * h];
        var stack = new Stack<int>();
        void Seed(int x, int y)
        {
            int i = y * w + x;
            if (!outside[i] && mask.Row(y)[x] < 128) { outside[i] = true; stack.Push(i); }
        }
        for (int x = 0; x < w; x++) { Seed(x, 0); Seed(x, h - 1); }
        for (int y = 0; y < h; y++) { Seed(0, y); Seed(w - 1, y); }
        while (stack.Count > 0)
        {
            int i = stack.Pop(), x = i % w, y = i / w;
            if (x > 0) Seed(x - 1, y);
            if (x + 1 < w) Seed(x + 1, y);
            if (y > 0) Seed(x, y - 1);
            if (y + 1 < h) Seed(x, y + 1);
        }
        var outline = new ImageBuffer(w, h, PixelFormat.Gray8);
        for (int y = 0; y < h; y++)
        {
            var src = mask.Row(y);
            var dst = outline.Row(y);
            for (int x = 0; x < w; x++) dst[x] = outside[y * w + x] ? src[x] : (byte)255;
        }
        return outline;
    }

    /// <summary>
    /// Lays <paramref name="part"/> onto the belt already in <paramref name="frame"/>, its image's left edge at
    /// <paramref name="x"/>, vertically centred: each pixel blends by the part's coverage <paramref name="mask"/> (Gray8,
    /// 255 = part, 0 = belt or a through hole), and the part casts a drop shadow on the belt
    /// (<paramref name="shadowPercent"/> darker, offset by <paramref name="shadowOffset"/> px down and right) shaped by
    /// <paramref name="outline"/> (the mask without holes, <see cref="Outline"/>; default the mask). Clipped.
    /// </summary>
    public static void Composite(ImageBuffer part, ImageBuffer mask, ImageBuffer frame, int x, int shadowOffset = 5, int shadowPercent = 40,
        ImageBuffer? outline = null)
    {
        outline ??= mask;
        if (outline.Format != PixelFormat.Gray8 || outline.Width != mask.Width || outline.Height != mask.Height)
            throw new ArgumentException($"the shadow outline must be Gray8 of the mask's size {mask.Width}x{mask.Height}", nameof(outline));
        ArgumentNullException.ThrowIfNull(part);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(frame);
        if (part.Format != frame.Format) throw new ArgumentException($"part image is {part.Format}, the frame {frame.Format}", nameof(part));
        if (mask.Format != PixelFormat.Gray8 || mask.Width != part.Width || mask.Height != part.Height)
            throw new ArgumentException($"a part's mask must be Gray8 of the part's size {part.Width}x{part.Height}; it is {mask.Format} {mask.Width}x{mask.Height}", nameof(mask));
        ArgumentOutOfRangeException.ThrowIfNegative(shadowOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shadowPercent, 100);
        int bpp = frame.BytesPerPixel;
        int top = (frame.Height - part.Height) / 2;
        // The shadow first (it darkens belt only: the part is laid over it next).
        for (int y = 0; y < part.Height; y++)
        {
            int fy = top + y + shadowOffset;
            if ((uint)fy >= (uint)frame.Height) continue;
            var m = outline.Row(y);
            var dst = frame.Row(fy);
            for (int px = 0; px < part.Width; px++)
            {
                int fx = x + px + shadowOffset;
                if ((uint)fx >= (uint)frame.Width || m[px] == 0) continue;
                int keep = 255 * 100 - m[px] * shadowPercent;
                for (int c = 0; c < bpp; c++) dst[fx * bpp + c] = (byte)(dst[fx * bpp + c] * keep / (255 * 100));
            }
        }
        for (int y = 0; y < part.Height; y++)
        {
            int fy = top + y;
            if ((uint)fy >= (uint)frame.Height) continue;
            var m = mask.Row(y);
            var src = part.Row(y);
            var dst = frame.Row(fy);
            for (int px = 0; px < part.Width; px++)
            {
                int fx = x + px, a = m[px];
                if ((uint)fx >= (uint)frame.Width || a == 0) continue;
                for (int c = 0; c < bpp; c++)
                {
                    int i = fx * bpp + c;
                    dst[i] = (byte)((src[px * bpp + c] * a + dst[i] * (255 - a) + 127) / 255);
                }
            }
        }
    }

    public static ContinuousReport Run(SimulatedGpioChip chip, ContinuousInspection inspection, IReadOnlyList<SimulatedPart> parts,
        BeltCameraSettings camera, PixelFormat format, Action<SimulatedPart, ImageBuffer, int> paste, int rejectLine, BeltTexture? belt = null)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(inspection);
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(camera);
        ArgumentNullException.ThrowIfNull(paste);
        camera.Validate();
        int v = camera.PixelsPerFrame;
        var rng = new Random(camera.Seed);
        // Frame at which each part's left edge is at −PartWidth (just out of view on the left).
        var entry = new long[parts.Count];
        long k0 = 1;
        for (int i = 0; i < parts.Count; i++)
        {
            entry[i] = k0;
            int pitch = camera.PartWidth + camera.GapPx + rng.Next(camera.GapPx + 1);
            k0 += (pitch + v - 1) / v;
        }
        long lastFrame = parts.Count == 0 ? 0 : entry[^1] + (camera.FrameWidth + camera.PartWidth) / v + 2;
        long periodNs = camera.FramePeriod.Ticks * 100;
        long startNs = chip.NowNs + periodNs;
        int XOf(int i, long k) => -camera.PartWidth + (int)((k - entry[i]) * v);

        var verdicts = new PartVerdict?[parts.Count];
        var deciding = new Det?[parts.Count];
        var crossingNs = new long[parts.Count];
        int twice = 0, unmatched = 0, dropped = 0;
        long currentFrame = 0;
        void OnCross(CrossingVerdict c)
        {
            float cx = c.Box.Left + c.Box.Width / 2;
            int best = -1;
            float bestD = float.MaxValue;
            for (int i = 0; i < parts.Count; i++)
            {
                int x = XOf(i, currentFrame);
                if (x <= -camera.PartWidth || x >= camera.FrameWidth) continue;
                float d = Math.Abs(x + camera.PartWidth / 2f - cx);
                if (d < bestD) (best, bestD) = (i, d);
            }
            if (best < 0 || bestD > camera.PartWidth / 2f) { unmatched++; return; }
            if (verdicts[best] is not null) { twice++; return; }
            verdicts[best] = c.Verdict;
            deciding[best] = ConveyorSimulation.DecidingDetection(inspection.Line);
            crossingNs[best] = c.Verdict.TriggerNs;
        }
        inspection.PartInspected += OnCross;
        using var frame = new ImageBuffer(camera.FrameWidth, camera.FrameHeight, format);
        try
        {
            int first = 0;
            for (long k = 0; k <= lastFrame; k++)
            {
                long t = startNs + k * periodNs;
                if (chip.NowNs > t) { dropped++; continue; }
                chip.AdvanceTo(t);
                currentFrame = k;
                if (belt is null) frame.Data.Fill(camera.Belt);
                else belt.Render(frame, k * v);
                while (first < parts.Count && XOf(first, k) >= camera.FrameWidth) first++;
                for (int i = first; i < parts.Count && entry[i] <= k; i++)
                {
                    int x = XOf(i, k);
                    if (x > -camera.PartWidth && x < camera.FrameWidth) paste(parts[i], frame, x);
                }
                inspection.ProcessFrame(frame, t);
            }
        }
        finally
        {
            inspection.PartInspected -= OnCross;
        }
        var options = inspection.Line.Options;
        chip.AdvanceTo(chip.NowNs + (options.RejectDelay + options.PulseWidth + TimeSpan.FromSeconds(1)).Ticks * 100);

        long delayNs = options.RejectDelay.Ticks * 100;
        var pulses = ConveyorSimulation.Pulses(chip.History(rejectLine));
        var byExpected = new SortedList<long, int>();
        for (int i = 0; i < parts.Count; i++) if (verdicts[i] is not null) byExpected[crossingNs[i] + delayNs] = i;
        var pulseOf = new (long Start, long Width)?[parts.Count];
        int stray = 0;
        foreach (var (start, width) in pulses)
        {
            int match = -1;
            foreach (var (expected, i) in byExpected)
            {
                if (expected < start - ConveyorSimulation.WindowNs) continue;
                if (expected > start + ConveyorSimulation.WindowNs) break;
                match = i;
                break;
            }
            if (match < 0 || pulseOf[match] is not null) { stray++; continue; }
            pulseOf[match] = (start, width);
        }
        var results = new List<SimulatedPartResult>(parts.Count);
        int missing = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            if (verdicts[i] is not { } verdict) { missing++; continue; }
            // The part's "beam" is its crossing: the summary measures pulses from there.
            results.Add(new SimulatedPartResult(parts[i] with { BeamNs = crossingNs[i] }, verdict, pulseOf[i]?.Start, pulseOf[i]?.Width, deciding[i]));
        }
        var report = new ConveyorReport(results, stray, options.RejectDelay, options.PulseWidth);
        return new ContinuousReport(report, parts.Count, inspection.Tracker.Counted, inspection.Inspected, missing, twice,
            inspection.Frames, dropped, unmatched);
    }
}
