using Edge.Agent.Devices;
using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Simulation;
using Edge.Models.Imaging;

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

/// <summary>A part's run through the line: the verdict and the reject pulse seen on the output (if any).</summary>
public readonly record struct SimulatedPartResult(SimulatedPart Part, PartVerdict Verdict, long? PulseStartNs, long? PulseWidthNs)
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

        var verdicts = new Dictionary<long, PartVerdict>(parts.Count);
        void OnPart(PartVerdict v) => verdicts[v.TriggerNs] = v;
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
            results.Add(new SimulatedPartResult(parts[i], v, pulseOf[i]?.Start, pulseOf[i]?.Width));
        }
        return new ConveyorReport(results, stray, line.Options.RejectDelay, line.Options.PulseWidth);
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
