using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Inspection;
using Edge.Models.Imaging;
using Edge.Models.Tests.Support;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Tests.Inspection;

/// <summary>
/// The line's own work per part (gate, rules, counters, health, stack light), measured on the real
/// <see cref="InspectionLine"/> with the GPIO simulator; the detector's share (0 bytes once warm) is tested in
/// EdgeModels.Tests. The inspector here returns a fixed list of detections, so what is measured is the line.
/// </summary>
public sealed class LineAllocationTests
{
    private const long PartEveryNs = 250_000_000; // a part every 250 ms: the summary minute rolls once in 240 parts

    [Fact]
    public void Inspecting_a_good_part_allocates_nothing_once_warm()
    {
        // Detections the rules ignore (too faint), so the part is good but the rules still look at each one.
        Det[] ignored = [new(0, "scratch", 0.1f, 40, 40, 80, 60), new(2, "spot", 0.15f, 100, 100, 120, 120)];
        using var run = new PartLoop(ignored);

        var sample = Allocations.SteadyState(() => run.Next(), warmUp: 20, windows: 6, callsPerWindow: 20);

        Assert.True(run.Verdicts.All(v => !v.Defective), "every part must be judged good");
        Assert.Equal(0, run.Line.Gate.Pulses);
        Assert.True(sample.Bytes == 0, $"a good part allocated: {sample}");
        // The line's own count agrees: every part good, none allocating after the warm-up (parts 1-20).
        var own = run.Line.Allocations;
        Assert.Equal((20 + 6 * 20, 0L), (own.GoodParts, own.OtherParts));
        Assert.True(own.LastAllocatingPart <= 20, $"good part {own.LastAllocatingPart} allocated after the warm-up: {own}");
    }

    [Fact]
    public void A_defective_part_allocates_only_its_event()
    {
        Det[] defect = [new(1, "dent", 0.9f, 40, 40, 80, 80)];
        using var run = new PartLoop(defect);

        var sample = Allocations.SteadyState(() => run.Next(), warmUp: 20, windows: 6, callsPerWindow: 20);

        Assert.True(run.Verdicts.All(v => v.Defective), "every part must be judged defective");
        Assert.Equal(run.Verdicts.Count, run.Sink.Defects.Count);
        // The event, its list of counted defects and the simulator's record of the actuator's two edges; a bound, so a
        // regression that allocates per detection or per frame (a copied image: 300 kB) fails.
        Assert.True(sample.BytesPerCall is > 0 and < 1024, $"a defective part allocated {sample.BytesPerCall} bytes: {sample}");
        var own = run.Line.Allocations;
        Assert.Equal((0L, 20L + 6 * 20), (own.GoodParts, own.OtherParts));
        Assert.InRange(own.OtherBytesPerPart, 1, sample.BytesPerCall); // the line's share of what the part cost on its thread
    }

    [Fact]
    public void Continuous_mode_allocates_nothing_per_frame_while_good_parts_slide_past_and_cross_the_line()
    {
        const int Step = 32, Pitch = 384; // px per frame; a 200 px part every 384 px: one crossing every 12 frames
        var options = new InspectionOptions { RejectDelay = TimeSpan.FromMilliseconds(300) };
        using var chip = new SimulatedGpioChip();
        using var reject = new DigitalOutput(chip, 27, consumer: "reject");
        var time = new ScriptedTime();
        var inspector = new BrightnessInspector(time, computeMs: 6);
        using var inspection = new ContinuousInspection(options, chip, reject, inspector, decisionLineX: 320, time: time);
        using var frame = new ImageBuffer(640, 320, PixelFormat.Rgb24);
        long offset = 0;

        void NextFrame()
        {
            frame.Data.Fill(16);
            for (long left = offset % Pitch - Pitch; left < 640; left += Pitch)
            {
                int x0 = (int)Math.Max(left, 0), x1 = (int)Math.Min(left + 200, 640);
                if (x1 - x0 < 1) continue;
                for (int y = 80; y < 240; y++) frame.Row(y).Slice(x0 * 3, (x1 - x0) * 3).Fill(200); // a good part
            }
            chip.Advance(TimeSpan.FromMilliseconds(20));
            inspection.ProcessFrame(frame, chip.NowNs);
            offset += Step;
        }

        var sample = Allocations.SteadyState(NextFrame, warmUp: 48, windows: 5, callsPerWindow: 24);

        Assert.True(inspection.Inspected >= 10, $"only {inspection.Inspected} parts crossed the line");
        Assert.Equal(inspection.Inspected, inspector.Calls);
        Assert.Equal(0, inspection.Line.Gate.Pulses);
        Assert.True(sample.Bytes == 0, $"continuous mode allocated: {sample}");
    }

    /// <summary>Parts triggered one after another on the simulator's clock, each inspected by the real line.</summary>
    private sealed class PartLoop : IDisposable
    {
        private readonly SimulatedGpioChip _chip = new();
        private readonly FixedCamera _camera = new();
        private readonly DigitalInput _eye;
        private readonly DigitalOutput _reject;
        private readonly StackLight _light;
        private long _triggerNs;

        public PartLoop(Det[] detections)
        {
            var conveyor = new ConveyorSettings();
            var options = new InspectionOptions { RejectDelay = conveyor.RejectDelay };
            (_eye, _reject, _light) = ConveyorSimulation.Wire(_chip, conveyor, options);
            var epoch = new DateTimeOffset(2025, 1, 6, 6, 0, 0, TimeSpan.Zero);
            long origin = _chip.NowNs;
            Line = new InspectionLine(options, _chip, _reject, _camera, new FixedInspector(detections), _light, Sink,
                wallClock: ns => epoch.AddTicks((ns - origin) / 100));
            _triggerNs = _chip.NowNs;
        }

        public InspectionLine Line { get; }
        public RecordingInspectionSink Sink { get; } = new();
        public List<PartVerdict> Verdicts { get; } = new(512);

        public void Next()
        {
            _triggerNs += PartEveryNs;
            _chip.AdvanceTo(_triggerNs);
            var verdict = Line.InspectPart(_triggerNs);
            if (Verdicts.Count < Verdicts.Capacity) Verdicts.Add(verdict);
        }

        public void Dispose()
        {
            Line.Dispose();
            _camera.Dispose();
            _eye.Dispose();
            _reject.Dispose();
            _light.Dispose();
            _chip.Dispose();
        }
    }

    private sealed class FixedCamera : IPartCamera, IDisposable
    {
        private readonly ImageBuffer _frame = new();
        public FixedCamera() => _frame.Reset(320, 320, PixelFormat.Rgb24);
        public ImageBuffer Capture(long triggerNs) => _frame;
        public void Dispose() => _frame.Dispose();
    }

    private sealed class FixedInspector(Det[] detections) : IPartInspector
    {
        public IReadOnlyList<string> Labels => LineHarness.Labels;

        public double Inspect(ImageBuffer frame, List<Det> found)
        {
            foreach (var d in detections) found.Add(d);
            return 1.0;
        }
    }
}
