using System.Drawing;
using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Inspection;
using Edge.Models.Imaging;
using Edge.Models.Tests.Support;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Tests.Inspection;

/// <summary>Judges a crop by its centre pixel: the synthetic defective parts are brighter than the good ones.</summary>
internal sealed class BrightnessInspector(ScriptedTime time, double computeMs) : IPartInspector
{
    public IReadOnlyList<string> Labels { get; } = ["scratch"];
    public int Calls { get; private set; }

    public double Inspect(ImageBuffer frame, List<Det> detections)
    {
        Calls++;
        time.Spend(computeMs);
        if (frame.Row(frame.Height / 2)[frame.Width / 2 * 3] > 225) detections.Add(new Det(0, "scratch", 0.9f, 100, 100, 140, 140));
        return computeMs;
    }
}

public sealed class ContinuousModeTests
{
    private const int RejectLine = 27;

    /// <summary>A 320×320 part image: dark belt, a bright 200×160 part at (60, 80); defective parts are brighter.</summary>
    private static ImageBuffer PartImage(bool defective)
    {
        var image = new ImageBuffer(320, 320, PixelFormat.Rgb24);
        image.Data.Fill(16);
        for (int y = 80; y < 240; y++) image.Row(y).Slice(60 * 3, 200 * 3).Fill(defective ? (byte)250 : (byte)200);
        return image;
    }

    [Fact]
    public void The_locator_finds_each_bright_part_once_even_when_a_dark_defect_splits_it_and_allocates_nothing_when_warm()
    {
        using var frame = new ImageBuffer(640, 320, PixelFormat.Rgb24);
        frame.Data.Fill(16);
        for (int y = 40; y < 200; y++) frame.Row(y).Slice(40 * 3, 200 * 3).Fill(220);
        for (int y = 40; y < 200; y++) frame.Row(y).Slice(136 * 3, 8 * 3).Fill(10); // a dark crack across the first part
        for (int y = 100; y < 300; y++) frame.Row(y).Slice(400 * 3, 160 * 3).Fill(230);
        frame.Row(10).Slice(600 * 3, 12).Fill(255); // a glint: too small to be a part
        var locator = new PartLocator();
        var boxes = new List<RectangleF>();

        int found = locator.Locate(frame, boxes);
        var allocations = Allocations.SteadyState(() => locator.Locate(frame, boxes), warmUp: 1, callsPerWindow: 2);

        Assert.Equal(2, found);
        Assert.Equal([RectangleF.FromLTRB(40, 40, 240, 200), RectangleF.FromLTRB(400, 100, 560, 300)], boxes.OrderBy(b => b.Left));
        Assert.True(allocations.Bytes == 0, allocations.ToString());
    }

    [Fact]
    public void Parts_sliding_through_many_frames_are_each_counted_once_and_rejected_at_crossing_plus_delay_when_judged_defective()
    {
        const int parts = 60;
        var rng = new Random(7);
        var truth = Enumerable.Range(0, 10).Select(_ => rng.NextDouble() < 0.4).ToArray();
        var images = truth.Select(PartImage).ToArray();
        var options = new InspectionOptions { RejectDelay = TimeSpan.FromMilliseconds(300), ActuatorLead = TimeSpan.FromMilliseconds(20), PulseWidth = TimeSpan.FromMilliseconds(10) };
        using var chip = new SimulatedGpioChip();
        using var reject = new DigitalOutput(chip, RejectLine, consumer: "reject");
        var time = new ScriptedTime();
        var inspector = new BrightnessInspector(time, computeMs: 6);
        using var inspection = new ContinuousInspection(options, chip, reject, inspector, decisionLineX: 320, time: time);
        var plan = ConveyorSimulation.Plan(parts, truth, new ConveyorSettings(), chip.NowNs);
        var camera = new BeltCameraSettings { FramesPerPart = 12, GapPx = 64, FramePeriod = TimeSpan.FromMilliseconds(20) };
        var seen = new Dictionary<int, List<(long T, int X)>>();

        var run = ContinuousConveyor.Run(chip, inspection, plan, camera, PixelFormat.Rgb24, (part, frame, x) =>
        {
            ContinuousConveyor.Paste(images[part.Image], frame, x);
            if (!seen.TryGetValue(part.Index, out var list)) seen[part.Index] = list = [];
            list.Add((chip.NowNs, x));
        }, RejectLine);

        Assert.Equal(parts, run.Counted);
        Assert.Equal(parts, run.Inspected);
        Assert.Equal(parts, inspector.Calls);
        Assert.Equal((0, 0, 0, 0), (run.NotInspected, run.InspectedTwice, run.Unmatched, run.DroppedFrames));
        Assert.All(seen.Values, frames => Assert.InRange(frames.Count, 10, 12));
        var report = run.Conveyor;
        Assert.Equal(0, report.StrayPulses);
        foreach (var r in report.Parts)
        {
            // Crossing = the first frame in which the part's centre (image x + 160) is at or past the line at 320.
            long crossing = seen[r.Part.Index].First(f => f.X + 160 >= 320).T;
            Assert.Equal(crossing, r.Verdict.TriggerNs);
            Assert.Equal(r.Part.TrulyDefective, r.Verdict.Defective);
            Assert.Equal(r.Part.TrulyDefective, r.Rejected);
            if (r.Rejected) Assert.Equal((crossing + 300_000_000, 10_000_000L), (r.PulseStartNs!.Value, r.PulseWidthNs!.Value));
        }
        Assert.Equal(report.TrulyDefective, ConveyorSimulation.Pulses(chip.History(RejectLine)).Count);
        Assert.InRange(report.TrulyDefective, 10, 50);
        Assert.Equal(parts, inspection.Line.Shift.Snapshot().Parts);
    }
}
