using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Inspection;
using Edge.Models.Imaging;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Tests.Inspection;

/// <summary>Measures "compute time" on a clock the test moves: the inspector below advances it by a scripted amount.</summary>
internal sealed class ScriptedTime : TimeProvider
{
    private long _ticks = 1_000_000;
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => _ticks;
    public void Spend(double ms) => _ticks += (long)(ms * TimeSpan.TicksPerMillisecond);
}

/// <summary>
/// The rules/gate/timing layer's inspector for tests: each part's detections are real <see cref="Det"/> lists
/// (derived from the part's labels), and its compute time is scripted on <see cref="ScriptedTime"/>.
/// </summary>
internal sealed class LabelledInspector(SimulatedCamera camera, IReadOnlyList<Det>[] detectionsByImage, ScriptedTime time,
    Func<SimulatedPart, double> computeMs, IReadOnlyList<string> labels) : IPartInspector
{
    public IReadOnlyList<string> Labels => labels;

    public double Inspect(ImageBuffer frame, List<Det> detections)
    {
        var part = camera.Current;
        detections.AddRange(detectionsByImage[part.Image]);
        double ms = computeMs(part);
        time.Spend(ms);
        return ms * 0.8;
    }
}

/// <summary>A simulated line wired up with a scripted inspector: the chip, the photo-eye, the actuator, the light.</summary>
internal sealed class LineHarness : IDisposable
{
    public static readonly string[] Labels = ["scratch", "dent", "spot", "missing_hole"];

    public SimulatedGpioChip Chip { get; } = new();
    public ConveyorSettings Conveyor { get; }
    public InspectionOptions Options { get; }
    public List<SimulatedPart> Parts { get; }
    public SimulatedCamera Camera { get; }
    public InspectionLine Line { get; }
    public RecordingInspectionSink Sink { get; } = new();
    public StackLight Light { get; }
    private readonly DigitalInput _eye;
    private readonly DigitalOutput _reject;

    public LineHarness(int parts, IReadOnlyList<Det>[] detectionsByImage, Func<SimulatedPart, double> computeMs,
        InspectionOptions? options = null, ConveyorSettings? conveyor = null)
    {
        Conveyor = conveyor ?? new ConveyorSettings();
        Options = (options ?? new InspectionOptions()) with { RejectDelay = Conveyor.RejectDelay };
        var (eye, reject, light) = ConveyorSimulation.Wire(Chip, Conveyor, Options);
        (_eye, _reject, Light) = (eye, reject, light);
        var rules = new DecisionRules(Options, Labels);
        var truth = detectionsByImage.Select(d => d.Any(x => rules.Counts(x))).ToArray();
        Parts = ConveyorSimulation.Plan(parts, truth, Conveyor, Chip.NowNs + 50_000_000);
        Camera = new SimulatedCamera(Parts, static (_, frame) => frame.Reset(8, 8, PixelFormat.Rgb24));
        var time = new ScriptedTime();
        var epoch = new DateTimeOffset(2025, 1, 6, 13, 59, 0, TimeSpan.Zero);
        long origin = Chip.NowNs;
        Line = new InspectionLine(Options, Chip, reject, Camera, new LabelledInspector(Camera, detectionsByImage, time, computeMs, Labels),
            light, Sink, time, ns => epoch.AddTicks((ns - origin) / 100));
    }

    public ConveyorReport Run() => ConveyorSimulation.Run(Chip, Line, _eye, Parts, Conveyor);

    public void Dispose()
    {
        Camera.Dispose();
        _eye.Dispose();
        _reject.Dispose();
        Light.Dispose();
        Chip.Dispose();
    }

    /// <summary>
    /// Seeded part images: about 40 % carry one to three defects; the rest carry nothing or only detections the
    /// rules must ignore (score below the minimum, too small, outside the region of interest).
    /// </summary>
    public static IReadOnlyList<Det>[] SyntheticImages(int count, int seed)
    {
        var rng = new Random(seed);
        var images = new IReadOnlyList<Det>[count];
        for (int i = 0; i < count; i++)
        {
            var list = new List<Det>();
            if (rng.NextDouble() < 0.4)
                for (int k = rng.Next(1, 4); k > 0; k--) list.Add(Box(rng, rng.Next(4), 0.55f + 0.4f * rng.NextSingle(), 20, 60));
            else if (rng.NextDouble() < 0.5)
            {
                list.Add(Box(rng, rng.Next(4), 0.2f + 0.25f * rng.NextSingle(), 20, 60)); // below MinScore
                list.Add(Box(rng, rng.Next(4), 0.9f, 2, 4));                               // below MinAreaPx
                list.Add(new Det(0, "scratch", 0.95f, 300, 300, 318, 318));               // outside the region
            }
            images[i] = list;
        }
        return images;
    }

    private static Det Box(Random rng, int cls, float score, int min, int max)
    {
        float w = rng.Next(min, max), h = rng.Next(min, max), x = rng.Next(40, 200), y = rng.Next(40, 200);
        return new Det(cls, Labels[cls], score, x, y, x + w, y + h);
    }

    /// <summary>The rules these tests use: the region of interest is the part's 280×280 centre.</summary>
    public static InspectionOptions RulesForTests => new()
    {
        MinScore = 0.5f, MinAreaPx = 50, Regions = [System.Drawing.RectangleF.FromLTRB(20, 20, 280, 280)],
    };
}
