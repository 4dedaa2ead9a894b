using Edge.Agent.Capture;
using Edge.Models.Imaging;
using Xunit.Abstractions;
using Edge.Agent.Tests.Support;
using static Edge.Agent.Tests.Capture.CaptureTestKit;

namespace Edge.Agent.Tests.Capture;

[Collection(CaptureCollection.Name)]
public sealed class GStreamerSourceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Test_pattern_delivers_frames_of_the_requested_size_with_varied_rgb_content()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.TestPattern, Width = 320, Height = 240 });
        await source.StartAsync(CancellationToken.None);
        using var frame = await ReadFrameAsync(source);

        Assert.Equal((320, 240, PixelFormat.Rgb24, 320 * 3), (frame.Image.Width, frame.Image.Height, frame.Image.Format, frame.Image.Stride));
        var pixels = frame.Image.Data;
        Assert.True(pixels.IndexOfAnyExcept(pixels[0]) >= 0, "every byte of the SMPTE bars has the same value");
        Assert.Equal(SourceState.Running, source.Health.State);
        Assert.True(frame.Sequence >= 1);
        Assert.True(DateTimeOffset.UtcNow - frame.CapturedAt < TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("white", 255, 255, 255)]
    [InlineData("red", 255, 0, 0)]
    [InlineData("blue", 0, 0, 255)]
    public async Task Odd_width_frames_are_copied_row_by_row_past_gstreamer_row_padding(string pattern, byte r, byte g, byte b)
    {
        // 322 × 3 = 966 bytes per row; GStreamer pads rows to 968, so ignoring the stride shears the image.
        await using var source = Create(new SourceOptions { Type = SourceType.TestPattern, Pattern = pattern, Width = 322, Height = 240 });
        await source.StartAsync(CancellationToken.None);
        using var frame = await ReadFrameAsync(source);

        Assert.Equal((322, 240, 966), (frame.Image.Width, frame.Image.Height, frame.Image.Stride));
        for (int y = 0; y < frame.Image.Height; y++)
        {
            var row = frame.Image.Row(y);
            for (int x = 0; x < frame.Image.Width; x++)
                if (row[3 * x] != r || row[3 * x + 1] != g || row[3 * x + 2] != b)
                    Assert.Fail($"pixel ({x}, {y}) is ({row[3 * x]}, {row[3 * x + 1]}, {row[3 * x + 2]}), expected ({r}, {g}, {b})");
        }
    }

    [Fact]
    public async Task Latest_frame_policy_drops_the_oldest_frames_and_counts_them_when_nobody_reads()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.TestPattern, Width = 64, Height = 48, Fps = 120 });
        await source.StartAsync(CancellationToken.None);
        await UntilAsync(source, s => s.Health.Dropped >= 10, "10 frames dropped");

        var health = source.Health;
        Assert.True(health.Frames >= health.Dropped + 2, $"frames {health.Frames}, dropped {health.Dropped}");
        Assert.True(source.Frames.Count <= 2);
        using var first = await ReadFrameAsync(source);
        using var second = await ReadFrameAsync(source);
        // What is left are the newest frames: everything before them was dropped.
        Assert.True(first.Sequence > 10 && second.Sequence > first.Sequence, $"read sequences {first.Sequence}, {second.Sequence}");
    }

    [Fact]
    public async Task Steady_state_capture_allocates_almost_nothing_per_frame()
    {
        const int warmUp = 30, windows = 5, perWindow = 100;
        await using var source = Create(new SourceOptions { Type = SourceType.TestPattern, Width = 320, Height = 240, Fps = 200 });
        await source.StartAsync(CancellationToken.None);
        // Reads take no token, so the channel reuses its one waiter; a stuck source is disposed by the
        // watchdog instead, which completes the channel and fails the read.
        using var watchdog = new CancellationTokenSource(Patience);
        using var stop = watchdog.Token.Register(() => _ = source.DisposeAsync().AsTask());
        for (int i = 0; i < warmUp; i++) (await source.Frames.ReadAsync()).Dispose();

        long createdBefore = source.PoolGrowth.Created;
        var process = new List<double>();
        var capture = new List<double>();
        long captureTotal = 0, capturedTotal = 0;
        for (int w = 0; w < windows; w++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            long captureBefore = source.CaptureThreadAllocatedBytes, capturedBefore = source.Captured;
            for (int i = 0; i < perWindow; i++) (await source.Frames.ReadAsync()).Dispose();
            process.Add((GC.GetTotalAllocatedBytes(precise: true) - before) / (double)perWindow);
            long captureBytes = source.CaptureThreadAllocatedBytes - captureBefore, captured = source.Captured - capturedBefore;
            capture.Add(captureBytes / (double)captured);
            (captureTotal, capturedTotal) = (captureTotal + captureBytes, capturedTotal + captured);
        }

        // The capture thread is measured exactly. It allocates only when the pool grows (one frame and its
        // buffer, when the consumer lags more than before); process-wide figures also hold the test
        // host's own work (reflection, timers), so its quietest window is the one that speaks for capture.
        output.WriteLine($"capture thread, bytes/frame per window: {Format(capture)}; {captureTotal} bytes over {capturedTotal} frames");
        output.WriteLine($"whole process, bytes/frame per {perWindow}-frame window: {Format(process)}");
        Assert.True(capture.Order().ElementAt(windows / 2) == 0, $"the capture thread allocates in steady state: {Format(capture)}");
        // Growth is bounded, whatever the load: the pool never holds more frames than it retains, and the capture
        // thread allocates nothing but the frames it adds (a buffer, rented in a power-of-two size, and the object).
        var (created, retain) = source.PoolGrowth;
        long createdDuring = created - createdBefore;
        output.WriteLine($"pool: {created} frames created ({createdDuring} while measured), retains {retain}");
        Assert.True(created <= retain, $"the pool created {created} frames; it retains {retain}");
        long perFrame = (long)System.Numerics.BitOperations.RoundUpToPowerOf2(320u * 240 * 3) + 1024;
        Assert.True(captureTotal <= createdDuring * perFrame,
            $"the capture thread allocated {captureTotal} bytes over {capturedTotal} frames, more than the {createdDuring} frames the pool added");
        Assert.True(process.Min() < 1024, $"even the quietest window allocated {process.Min():0.0} bytes per frame");

        static string Format(List<double> values) => string.Join(", ", values.Select(v => v.ToString("0.0")));
    }

    [Fact]
    public async Task Video_file_delivers_every_frame_then_ends()
    {
        using var folder = new TempFolder();
        string video = folder.File("clip.avi");
        WriteTestVideo(video, 30);
        await using var source = Create(new SourceOptions { Type = SourceType.Video, Path = video }, queueCapacity: 64);
        await source.StartAsync(CancellationToken.None);

        var frames = await ReadToEndAsync(source);

        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), frames.Select(f => f.Sequence));
        Assert.All(frames, f => Assert.Equal("clip.avi", f.Name));
        Assert.Equal(SourceState.Ended, source.Health.State);
        Assert.Equal(30, source.Health.Frames);
    }

    [Fact]
    public async Task Looping_video_starts_again_after_its_last_frame()
    {
        using var folder = new TempFolder();
        string video = folder.File("clip.avi");
        WriteTestVideo(video, 10);
        await using var source = Create(new SourceOptions { Type = SourceType.Video, Path = video, Loop = true }, queueCapacity: 64);
        await source.StartAsync(CancellationToken.None);

        long last = 0;
        for (int i = 0; i < 25; i++)
        {
            using var frame = await ReadFrameAsync(source);
            Assert.Equal(last + 1, frame.Sequence);
            last = frame.Sequence;
        }
        Assert.Equal(SourceState.Running, source.Health.State);
        Assert.Equal(0, source.Health.Restarts);
    }

    [Fact]
    public async Task Rtsp_camera_delivers_frames_retries_while_the_server_is_gone_and_recovers_when_it_returns()
    {
        using var server = RtspTestServer.StartNew();
        await using var source = Create(new SourceOptions { Type = SourceType.Rtsp, Url = server.Url, Width = 320, Height = 240 });
        await source.StartAsync(CancellationToken.None);

        using (var frame = await ReadFrameAsync(source))
        {
            Assert.Equal((320, 240), (frame.Image.Width, frame.Image.Height));
            Assert.Equal(SourceState.Running, source.Health.State);
        }

        server.Stop();
        await UntilAsync(source, s => s.Health.State == SourceState.Retrying, "retrying after the RTSP server went away");
        Assert.False(string.IsNullOrEmpty(source.Health.Reason));
        int restarts = source.Health.Restarts;

        server.Start();
        await UntilAsync(source, s => s.Health.State == SourceState.Running && s.Health.Restarts >= restarts,
            "running again after the server returned", TimeSpan.FromSeconds(45));
        while (source.Frames.TryRead(out var stale)) stale.Dispose();
        using var fresh = await ReadFrameAsync(source, TimeSpan.FromSeconds(30));
        Assert.Equal(320, fresh.Image.Width);
    }

    [Fact]
    public async Task Missing_camera_retries_with_a_reason_naming_the_device_and_never_throws()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.Camera, Device = "/dev/video9" });
        await source.StartAsync(CancellationToken.None);

        var health = source.Health;
        Assert.Equal(SourceState.Retrying, health.State);
        Assert.Contains("/dev/video9", health.Reason);
        Assert.Matches(@"^v4l2src\d+: ", health.Reason);   // GStreamer numbers elements per process
        await UntilAsync(source, s => s.Health.Restarts >= 3, "3 restarts");
        Assert.Equal(SourceState.Retrying, source.Health.State);
        Assert.Equal(0, source.Frames.Count);
    }

    [Theory]
    [InlineData("videotestsrc ! nosuchelement ! appsink name=sink", "no element \"nosuchelement\"")]
    [InlineData("videotestsrc ! fakesink", "no element named \"sink\"")]
    [InlineData("videotestsrc ! fakesink name=sink", "not an appsink")]
    public async Task Raw_pipeline_that_cannot_be_built_fails_with_the_reason(string pipeline, string reason)
    {
        await using var source = Create(new SourceOptions { Type = SourceType.GStreamer, Pipeline = pipeline });
        await source.StartAsync(CancellationToken.None);

        Assert.Equal(SourceState.Failed, source.Health.State);
        Assert.Contains(reason, source.Health.Reason);
        Assert.False(await source.Frames.WaitToReadAsync(), "the frame channel of a failed source completes");
    }

    [Fact]
    public async Task Raw_pipeline_delivers_its_frames_then_ends()
    {
        await using var source = Create(new SourceOptions
        {
            Type = SourceType.GStreamer,
            Pipeline = "videotestsrc num-buffers=5 ! video/x-raw,format=RGB,width=66,height=50 ! appsink name=sink sync=false",
        }, queueCapacity: 8);
        await source.StartAsync(CancellationToken.None);

        var frames = await ReadToEndAsync(source);

        Assert.Equal(5, frames.Count);
        Assert.Equal(SourceState.Ended, source.Health.State);
    }

    [Fact]
    public async Task Raw_pipeline_delivering_something_other_than_rgb_fails_naming_the_caps()
    {
        await using var source = Create(new SourceOptions
        {
            Type = SourceType.GStreamer,
            Pipeline = "videotestsrc ! video/x-raw,format=GRAY8,width=64,height=48 ! appsink name=sink",
        });
        await source.StartAsync(CancellationToken.None);
        await UntilAsync(source, s => s.Health.State == SourceState.Failed, "Failed");

        Assert.Contains("format=RGB", source.Health.Reason);
        Assert.Contains("GRAY8", source.Health.Reason);
    }

    [Fact]
    public async Task Trigger_mode_delivers_nothing_until_triggered_then_exactly_one_frame()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.TestPattern, Width = 64, Height = 48, Fps = 60 }, triggered: true);
        await source.StartAsync(CancellationToken.None);
        await UntilAsync(source, s => s.Captured >= 10, "10 frames captured");
        Assert.Equal(0, source.Frames.Count);
        Assert.Equal(0, source.Health.Frames);

        long triggeredAt = source.Captured;
        source.Trigger();
        using (var frame = await ReadFrameAsync(source))
            Assert.True(frame.Sequence > triggeredAt, $"frame {frame.Sequence} was captured before the trigger ({triggeredAt})");
        long after = source.Captured;
        await UntilAsync(source, s => s.Captured >= after + 10, "10 more frames captured");
        Assert.False(source.Frames.TryRead(out _), "a second frame arrived for one trigger");
        Assert.Equal(1, source.Health.Frames);

        source.Trigger();
        using var again = await ReadFrameAsync(source);
        Assert.Equal(2, source.Health.Frames);
    }

    [Theory]
    [InlineData("a.avi ! fakesink")]
    [InlineData("it's \"quoted\" ! fakesink name=x.avi")]
    [InlineData("back\\slash and spaces.avi")]
    public async Task Path_written_in_pipeline_syntax_stays_a_file_name(string name)
    {
        using var folder = new TempFolder();
        WriteTestVideo(folder.File("clip.avi"), 3);
        string path = folder.File(name);
        File.Copy(folder.File("clip.avi"), path);
        var options = new SourceOptions { Type = SourceType.Video, Path = path };
        output.WriteLine(GStreamerPipelines.Describe(options));

        await using var source = Create(options, queueCapacity: 8);
        await source.StartAsync(CancellationToken.None);
        var frames = await ReadToEndAsync(source);

        Assert.Equal(3, frames.Count);
        Assert.All(frames, f => Assert.Equal(name, f.Name));
        Assert.Equal(SourceState.Ended, source.Health.State);
    }

    [Fact]
    public async Task Dispose_is_idempotent_stops_capture_and_completes_the_frame_channel()
    {
        var source = Create(new SourceOptions { Type = SourceType.TestPattern, Width = 64, Height = 48 });
        await source.StartAsync(CancellationToken.None);
        using (await ReadFrameAsync(source)) { }

        await source.DisposeAsync();
        await source.DisposeAsync();
        long captured = source.Captured;

        Assert.False(await source.Frames.WaitToReadAsync(), "the frame channel completes on dispose");
        Assert.Equal(captured, source.Captured);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => source.StartAsync(CancellationToken.None));
        source.Trigger();   // harmless after dispose
    }

    [Fact]
    public async Task Dispose_of_a_source_never_started_returns_at_once()
    {
        var source = Create(new SourceOptions { Type = SourceType.TestPattern });
        await source.DisposeAsync();
        await source.DisposeAsync();
        Assert.Equal(SourceState.Starting, source.Health.State);
    }
}
