using System.Drawing;
using Edge.Agent.Devices;
using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Linux;
using Edge.Models.Imaging;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Inspection;

/// <summary>A part inspected in continuous mode: its track, where its box was when it crossed the decision line, the verdict.</summary>
public readonly record struct CrossingVerdict(long TrackId, RectangleF Box, PartVerdict Verdict);

/// <summary>
/// Continuous-capture mode: every frame → <see cref="PartLocator"/> (bright blobs on the dark belt) →
/// <see cref="PartTracker"/> (a track id per part as the belt carries it) → when a track's box centre crosses
/// <see cref="DecisionLineX"/> for the first time, the part is inspected once: a crop of the frame centred on its box
/// goes through an <see cref="InspectionLine"/> (detector, rules, counters, light, events, snapshot) with the frame's
/// timestamp as the part's trigger, so its reject is scheduled at crossing + <see cref="InspectionOptions.RejectDelay"/>
/// (or N encoder counts after the crossing). A part is counted once however many frames see it. The time spent
/// locating and tracking is laid onto the chip's clock before the part's own compute, as the line does for compute.
/// One thread drives it.
/// </summary>
public sealed class ContinuousInspection : IDisposable
{
    private readonly IGpioChip _chip;
    private readonly IGpioClock _clock;
    private readonly TimeProvider _time;
    private readonly CropCamera _crop = new();
    private long _lastFrameNs = -1;
    private readonly long _periodNs;
    private readonly List<RectangleF> _boxes = new(16);
    private readonly List<long> _ids = new(16);
    private readonly int _cropWidth, _cropHeight;

    /// <param name="decisionLineX">Frame x (pixels) at which a part is inspected; parts move towards larger x.</param>
    /// <param name="cropWidth">Width of the crop handed to the detector (its input size); clamped to the frame.</param>
    /// <param name="framePeriod">The camera's frame period, when it runs at a fixed rate: frame timestamps further apart
    /// than one period tell the tracker that frames were dropped. Null: each frame is one step of the belt.</param>
    public ContinuousInspection(InspectionOptions options, IGpioChip chip, DigitalOutput rejectActuator, IPartInspector inspector,
        float decisionLineX, PartLocator? locator = null, PartTracker? tracker = null, int cropWidth = 320, int cropHeight = 320,
        StackLight? light = null, IInspectionSink? sink = null, TimeProvider? time = null, Func<long, DateTimeOffset>? wallClock = null,
        Encoder? encoder = null, ILogger? logger = null, TimeSpan? framePeriod = null)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentOutOfRangeException.ThrowIfLessThan(cropWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cropHeight, 1);
        _chip = chip;
        _clock = MonotonicGpioClock.For(chip);
        _time = time ?? TimeProvider.System;
        DecisionLineX = decisionLineX;
        Locator = locator ?? new PartLocator();
        Tracker = tracker ?? new PartTracker();
        (_cropWidth, _cropHeight) = (cropWidth, cropHeight);
        if (framePeriod is { } period && period <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(framePeriod), period, "the camera's frame period must be above 0");
        _periodNs = framePeriod is { } p ? p.Ticks * 100 : 0;
        Line = new InspectionLine(options, chip, rejectActuator, _crop, inspector, light, sink, _time, wallClock, encoder, logger);
    }

    public float DecisionLineX { get; }
    public PartLocator Locator { get; }
    public PartTracker Tracker { get; }
    /// <summary>The line behind it: gate, counters, light, snapshots.</summary>
    public InspectionLine Line { get; }
    public long Frames { get; private set; }
    /// <summary>Parts inspected (crossed the decision line).</summary>
    public long Inspected { get; private set; }

    /// <summary>Raised after each crossing part's decision (on the driving thread).</summary>
    public event Action<CrossingVerdict>? PartInspected;

    /// <summary>Takes one frame captured at <paramref name="frameNs"/> (chip clock); returns the parts inspected in it.</summary>
    public int ProcessFrame(ImageBuffer frame, long frameNs)
    {
        ArgumentNullException.ThrowIfNull(frame);
        long t0 = _time.GetTimestamp();
        Frames++;
        Locator.Locate(frame, _boxes);
        Tracker.Update(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_boxes), _ids, FramePeriods(frameNs));
        long elapsedNs = _time.GetElapsedTime(t0).Ticks * 100;
        _clock.WaitUntil(Math.Max(_chip.NowNs, frameNs) + elapsedNs);
        int inspected = 0;
        for (int i = 0; i < _boxes.Count; i++)
        {
            if (!Tracker.TryCross(_ids[i], DecisionLineX)) continue;
            var box = _boxes[i];
            _crop.Cut(frame, box, _cropWidth, _cropHeight);
            var verdict = Line.InspectPart(frameNs);
            Inspected++;
            inspected++;
            PartInspected?.Invoke(new CrossingVerdict(_ids[i], box, verdict));
        }
        return inspected;
    }

    /// <summary>
    /// Frame periods since the previous frame: with a known camera frame period, the timestamps' interval in periods (a
    /// frame dropped by the camera or the capture queue makes it 2, and the tracker expects the part twice as far on);
    /// without one, every frame is one step of the belt (a folder of images, whose timestamps say when a file was read).
    /// </summary>
    private int FramePeriods(long frameNs)
    {
        long previous = _lastFrameNs;
        _lastFrameNs = frameNs;
        if (_periodNs <= 0 || previous < 0 || frameNs <= previous) return 1;
        return (int)Math.Clamp((frameNs - previous + _periodNs / 2) / _periodNs, 1, 1000);
    }


    public void Dispose() => _crop.Dispose();

    /// <summary>Hands the line the crop cut from the current frame.</summary>
    private sealed class CropCamera : IPartCamera, IDisposable
    {
        private readonly ImageBuffer _buffer = new();

        public void Cut(ImageBuffer frame, RectangleF box, int width, int height)
        {
            int w = Math.Min(width, frame.Width), h = Math.Min(height, frame.Height);
            int left = Math.Clamp((int)MathF.Round(box.Left + box.Width / 2 - w / 2f), 0, frame.Width - w);
            int top = Math.Clamp((int)MathF.Round(box.Top + box.Height / 2 - h / 2f), 0, frame.Height - h);
            _buffer.Reset(w, h, frame.Format);
            int bpp = frame.BytesPerPixel;
            for (int y = 0; y < h; y++) frame.Row(top + y).Slice(left * bpp, w * bpp).CopyTo(_buffer.Row(y));
        }

        public ImageBuffer Capture(long triggerNs) => _buffer;

        public void Dispose() => _buffer.Dispose();
    }
}
