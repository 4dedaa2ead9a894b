using Edge.Agent.Interop.GStreamer;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Capture;

/// <summary>
/// A camera, RTSP stream, video file, test pattern or raw pipeline through GStreamer. One capture thread
/// builds the pipeline, pulls samples from its appsink and watches its bus between pulls: an ERROR tears
/// the pipeline down and rebuilds it after a backoff; EOS loops (video with Loop) or ends.
/// </summary>
internal sealed partial class GStreamerFrameSource : FrameSourceBase
{
    private readonly string _launch;
    private readonly string? _sourceName;
    private string? _lastWarning;

    public GStreamerFrameSource(string name, SourceOptions options, bool triggered, ILogger logger, int queueCapacity, CaptureTimings timings)
        : base(name, options, triggered, logger, queueCapacity, timings)
    {
        _launch = GStreamerPipelines.Describe(options);
        _sourceName = options.Type == SourceType.Video ? Path.GetFileName(options.Path) : null;
    }

    private enum Outcome { Stopped, EndOfStream, Error, Fatal }

    protected override void Run()
    {
        var backoff = new Backoff(Timings.InitialBackoff, Timings.MaxBackoff);
        while (!Stopping)
        {
            GstPipeline pipeline;
            try
            {
                pipeline = GstPipeline.Parse(_launch);
            }
            catch (GStreamerException e)
            {
                // A launch string that does not parse (or a missing plugin) will not parse next time either.
                Fail(e.Message);
                return;
            }
            Outcome outcome;
            string reason;
            using (pipeline) outcome = Stream(pipeline, ref backoff, out reason);
            switch (outcome)
            {
                case Outcome.Stopped:
                    return;
                case Outcome.Fatal:
                    Fail(reason);
                    return;
                case Outcome.EndOfStream when Options.Type is SourceType.Video or SourceType.GStreamer && Options.Loop:
                    continue;
                case Outcome.EndOfStream when Options.Type is SourceType.Video or SourceType.GStreamer or SourceType.TestPattern:
                    End("end of stream");
                    return;
                default:
                    // Errors, and the end of a live stream (a camera unplugged, an RTSP server closing), are retried.
                    var delay = backoff.Next();
                    SetRetrying(outcome == Outcome.EndOfStream ? "stream ended" : reason, delay);
                    MarkStarted();
                    if (!Delay(delay)) return;
                    CountRestart();
                    break;
            }
        }
    }

    private Outcome Stream(GstPipeline pipeline, ref Backoff backoff, out string reason)
    {
        reason = "";
        if (!pipeline.Play())
        {
            // A refused state change has posted its reason on the bus already.
            reason = "the pipeline refused to start";
            while (pipeline.TryPopMessage(TimeSpan.FromSeconds(1), out var refused))
            {
                if (refused.Kind != BusMessageKind.Error) continue;
                reason = refused.ToString();
                break;
            }
            return Outcome.Error;
        }
        MarkStarted();
        long lastProgress = Environment.TickCount64;
        long stallMs = (long)Timings.StallTimeout.TotalMilliseconds;
        Frame? spare = null;
        try
        {
            while (!Stopping)
            {
                // In trigger mode frames nobody asked for are pulled (keeping the stream fresh) but not copied.
                bool wanted = Wanted;
                if (wanted) spare ??= Pool.Rent();
                var result = pipeline.TryPull(wanted ? spare!.Image : null, Timings.PullTimeout);
                if (result == PullResult.Frame)
                {
                    var now = DateTimeOffset.UtcNow;
                    long sequence = CountCaptured(now);
                    lastProgress = Environment.TickCount64;
                    backoff.Reset();
                    SetRunning();
                    if (wanted && TakeTrigger())
                    {
                        spare!.Stamp(sequence, now, _sourceName);
                        Deliver(spare);
                        spare = null;
                    }
                }
                while (pipeline.TryPopMessage(out var message))
                {
                    switch (message.Kind)
                    {
                        case BusMessageKind.Error:
                            reason = message.ToString();
                            if (message.Debug is not null) Log.ErrorDetail(Logger, Name, message.Debug);
                            return Outcome.Error;
                        case BusMessageKind.EndOfStream:
                            return Outcome.EndOfStream;
                        default:
                            string text = message.ToString();
                            if (text != _lastWarning) Log.Warning(Logger, Name, text);
                            _lastWarning = text;
                            break;
                    }
                }
                if (result == PullResult.EndOfStream) return Outcome.EndOfStream;
                if (Environment.TickCount64 - lastProgress > stallMs)
                {
                    reason = $"no frame for {Timings.StallTimeout.TotalSeconds:0.#} s";
                    return Outcome.Error;
                }
            }
            return Outcome.Stopped;
        }
        catch (GStreamerException e)
        {
            // Caps we cannot read (not RGB) come from the configuration, not from a passing fault.
            reason = e.Message;
            return Outcome.Fatal;
        }
        finally
        {
            spare?.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Source {Source}: GStreamer warning: {Text}")]
        public static partial void Warning(ILogger logger, string source, string text);

        [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Source {Source}: GStreamer error detail: {Detail}")]
        public static partial void ErrorDetail(ILogger logger, string source, string detail);
    }
}
