using Edge.Agent.Capture;
using Edge.Agent.Devices;
using Edge.Models.Imaging;

namespace Edge.Agent.Kiosk;

/// <summary>
/// The kiosk's camera over a frame source in trigger mode: <see cref="Capture"/> drops anything stale, triggers, and
/// waits up to <see cref="FrameTimeout"/> for the next frame. The source retries a missing camera on its own; while it
/// does, <see cref="Capture"/> throws a <see cref="DeviceException"/> with the source's reason (the kiosk then prints
/// the general blessing) and <see cref="Problem"/> says why.
/// </summary>
public sealed class FrameSourceCardCamera : ICardCamera, IKioskDevice, IAsyncDisposable
{
    private readonly IFrameSource _source;
    private Task? _started;
    private volatile string? _lastProblem;

    /// <param name="source">A source created with triggered: true (FrameSources.Create).</param>
    public FrameSourceCardCamera(IFrameSource source, string address)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        Address = address;
    }

    /// <summary>The camera a kiosk config names, in trigger mode.</summary>
    public static FrameSourceCardCamera Create(SourceOptions camera, Microsoft.Extensions.Logging.ILogger? logger = null) =>
        new(FrameSources.Create("kiosk-camera", camera, triggered: true, logger), Describe(camera));

    private static string Describe(SourceOptions s) => s.Type switch
    {
        SourceType.Camera => s.Device ?? "camera",
        SourceType.Rtsp => "rtsp stream",
        SourceType.Video or SourceType.Images => $"{s.Type.ToString().ToLowerInvariant()} {s.Path}",
        _ => s.Type.ToString().ToLowerInvariant(),
    };

    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public string Role => "camera";
    public string Address { get; }
    public string Fix => "plug the camera in (ls /dev/video*; libcamera-hello for the Pi camera) or fix kiosk.camera; the agent keeps retrying";

    /// <summary>Why no frame can come now; a camera being retried keeps its last reason until frames arrive again.</summary>
    public string? Problem
    {
        get
        {
            var h = _source.Health;
            return _lastProblem = h.State switch
            {
                SourceState.Retrying or SourceState.Failed => h.Reason ?? h.State.ToString().ToLowerInvariant(),
                SourceState.Ended => "the source ended (an images or video camera without \"loop\")",
                SourceState.Starting => _lastProblem,
                _ => null,
            };
        }
    }

    /// <summary>Starts the source the first time (it does not throw for a missing camera: it retries).</summary>
    public void Maintain() => _started ??= _source.StartAsync(CancellationToken.None);

    public ImageBuffer? Capture(CancellationToken ct)
    {
        Maintain();
        if (Problem is { } problem) throw new DeviceException($"{Address}: {problem}");
        var frames = _source.Frames;
        while (frames.TryRead(out var stale)) stale.Dispose();
        _source.Trigger();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(FrameTimeout);
        try
        {
            if (!frames.WaitToReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult())
                throw new DeviceException($"{Address}: {Problem ?? "the source stopped"}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new DeviceException($"{Address}: no frame within {FrameTimeout.TotalSeconds:0.#} s of the trigger ({_source.Health.State.ToString().ToLowerInvariant()}{(Problem is { } p ? ": " + p : "")})");
        }
        if (!frames.TryRead(out var frame)) return null;
        using (frame)
        {
            var image = frame.Image;
            var copy = new ImageBuffer(image.Width, image.Height, image.Format);
            image.Data.CopyTo(copy.Data);
            return copy;
        }
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
