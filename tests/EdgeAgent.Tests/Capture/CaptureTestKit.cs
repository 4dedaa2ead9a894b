using System.Diagnostics;
using Edge.Agent.Capture;

namespace Edge.Agent.Tests.Capture;

/// <summary>Capture tests run alone: they time real pipelines and measure process-wide allocations.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CaptureCollection
{
    public const string Name = "capture";
}

/// <summary>Waiting on sources without sleeping: each wait ends on the source's own progress events or fails loudly.</summary>
internal static class CaptureTestKit
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>Short backoff so a retrying source restarts several times within a test.</summary>
    public static readonly CaptureTimings Fast = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    };

    public static FrameSourceBase Create(SourceOptions options, bool triggered = false, int queueCapacity = 2, string name = "test") =>
        FrameSources.Create(name, options, triggered, logger: null, queueCapacity, Fast);

    public static async Task<Frame> ReadFrameAsync(IFrameSource source, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        try
        {
            return await source.Frames.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no frame from '{source.Name}' within {(timeout ?? Patience).TotalSeconds} s; health: {source.Health}");
        }
    }

    /// <summary>Completes when <paramref name="condition"/> holds, re-checked on every captured frame and health change.</summary>
    public static async Task UntilAsync(FrameSourceBase source, Func<FrameSourceBase, bool> condition, string what, TimeSpan? timeout = null)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (condition(source)) reached.TrySetResult();
        }
        source.Progress += Check;
        try
        {
            Check();
            await reached.Task.WaitAsync(timeout ?? Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"'{source.Name}' never reached: {what}; health: {source.Health}");
        }
        finally
        {
            source.Progress -= Check;
        }
    }

    /// <summary>Reads until the channel completes, returning what was read (disposed).</summary>
    public static async Task<List<(long Sequence, string? Name)>> ReadToEndAsync(IFrameSource source, TimeSpan? timeout = null)
    {
        var seen = new List<(long, string?)>();
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        try
        {
            await foreach (var frame in source.Frames.ReadAllAsync(cts.Token))
                using (frame) seen.Add((frame.Sequence, frame.SourceName));
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"'{source.Name}' did not end within {(timeout ?? Patience).TotalSeconds} s after {seen.Count} frames; health: {source.Health}");
        }
        return seen;
    }

    /// <summary>Writes a Motion-JPEG AVI of <paramref name="frames"/> 320x240 test frames with gst-launch-1.0.</summary>
    public static void WriteTestVideo(string path, int frames)
    {
        var start = new ProcessStartInfo("gst-launch-1.0") { RedirectStandardError = true };
        foreach (string arg in new[] { "-q", "videotestsrc", $"num-buffers={frames}", "!", "jpegenc", "!", "avimux", "!", "filesink", $"location={path}" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("gst-launch-1.0 did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException("gst-launch-1.0 did not finish writing the test video in 30 s");
        }
        Assert.True(process.ExitCode == 0 && File.Exists(path), $"gst-launch-1.0 failed ({process.ExitCode}): {stderr.Result}");
    }
}

/// <summary>A temporary folder removed when the test ends.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("edge-capture-test-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
