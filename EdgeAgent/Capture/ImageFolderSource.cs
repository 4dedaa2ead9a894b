using System.Diagnostics;
using Edge.Models.Imaging;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Capture;

/// <summary>
/// The JPEG/PNG files of a folder in ordinal name order, decoded in managed code (no GStreamer).
/// Paced at most at Fps (with Fps 0 as fast as the consumer takes them); a file is never dropped for
/// a slow consumer: unlike a camera, a folder's images do not go stale, so the source waits for room
/// in the queue. A file that does not decode is skipped, logged and counted in Dropped. The folder is listed
/// again at each pass, so files added while looping are picked up.
/// </summary>
internal sealed partial class ImageFolderSource : FrameSourceBase
{
    private readonly ImageBuffer? _decoded;
    private long _waitsForRoom;

    /// <summary>How often the source found the queue full and waited for the consumer (tests).</summary>
    internal long WaitsForRoom => Interlocked.Read(ref _waitsForRoom);

    public ImageFolderSource(string name, SourceOptions options, bool triggered, ILogger logger, int queueCapacity, CaptureTimings timings)
        : base(name, options, triggered, logger, queueCapacity, timings)
    {
        if (options.Width > 0) _decoded = new ImageBuffer();
    }

    protected override void Run()
    {
        string folder = Options.Path!;
        var backoff = new Backoff(Timings.InitialBackoff, Timings.MaxBackoff);
        long period = Options.Fps > 0 ? (long)(Stopwatch.Frequency / Options.Fps) : 0;
        long due = Stopwatch.GetTimestamp();
        try
        {
            while (!Stopping)
            {
                var files = List(folder);
                if (files.Length == 0 && !Options.Loop)
                {
                    End($"no JPEG or PNG files in {folder}");
                    return;
                }
                int delivered = 0;
                if (files.Length > 0) MarkStarted();
                foreach (string path in files)
                {
                    if (!WaitTurn(period, ref due)) return;
                    string name = Path.GetFileName(path);
                    var frame = Pool.Rent();
                    try
                    {
                        Decode(path, frame.Image);
                    }
                    catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException)
                    {
                        frame.Dispose();
                        CountDropped();
                        Log.Skipped(Logger, Name, name, e.Message);
                        continue;
                    }
                    var now = DateTimeOffset.UtcNow;
                    frame.Stamp(CountCaptured(now), now, name);
                    TakeTrigger();
                    SetRunning();
                    Deliver(frame);
                    delivered++;
                }
                if (!Options.Loop)
                {
                    End("end of folder");
                    return;
                }
                if (delivered > 0)
                {
                    backoff.Reset();
                    continue;
                }
                // Nothing decodable: wait instead of spinning over the same folder.
                var delay = backoff.Next();
                SetRetrying(files.Length == 0 ? $"no JPEG or PNG files in {folder}" : $"no file in {folder} decodes", delay);
                MarkStarted();
                if (!Delay(delay)) return;
            }
        }
        finally
        {
            _decoded?.Dispose();
        }
    }

    private void Decode(string path, ImageBuffer target)
    {
        if (_decoded is null)
        {
            ImageCodec.Load(path, target, PixelFormat.Rgb24);
            return;
        }
        ImageCodec.Load(path, _decoded, PixelFormat.Rgb24);
        ImageOps.ResizeBilinear(_decoded, target, Options.Width, Options.Height);
    }

    /// <summary>Waits for a trigger, the next due time, or (Fps 0) room in the queue; false once stopping.</summary>
    private bool WaitTurn(long period, ref long due)
    {
        if (Triggered)
        {
            while (!Wanted)
                if (!WaitForSignal(Timeout.InfiniteTimeSpan)) return false;
            return !Stopping;
        }
        // Frames coming back to the pool signal us; the timeout covers a consumer that reads but holds on.
        if (Queued >= QueueCapacity)
        {
            Interlocked.Increment(ref _waitsForRoom);
            RaiseProgress();
            while (Queued >= QueueCapacity)
                if (!WaitForSignal(TimeSpan.FromMilliseconds(10))) return false;
        }
        if (period == 0) return !Stopping;
        long now = Stopwatch.GetTimestamp();
        if (due > now && !Delay(Stopwatch.GetElapsedTime(now, due))) return false;
        // Counting from the later of the due time and now: after a stall the beat restarts instead of bursting.
        due = Math.Max(due, now) + period;
        return !Stopping;
    }

    internal static string[] List(string folder)
    {
        var files = Directory.GetFiles(folder).Where(IsImage).ToArray();
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    private static bool IsImage(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png";

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Source {Source}: skipped {File}: {Reason}")]
        public static partial void Skipped(ILogger logger, string source, string file, string reason);
    }
}
