using Edge.Agent.Capture;
using Edge.Models.Imaging;
using static Edge.Agent.Tests.Capture.CaptureTestKit;

namespace Edge.Agent.Tests.Capture;

[Collection(CaptureCollection.Name)]
public sealed class ImageFolderSourceTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public ImageFolderSourceTests()
    {
        // Ordinal order puts upper case first: B.png, a.jpg, b.png, bad.png, c.png.
        Save("b.png", 40, 30, 20);
        Save("a.jpg", 48, 32, 10);
        Save("c.png", 40, 30, 30);
        Save("B.png", 40, 30, 40);
        File.WriteAllBytes(_folder.File("bad.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        File.WriteAllText(_folder.File("notes.txt"), "not an image");
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Images_arrive_in_ordinal_order_named_after_their_files_and_a_corrupt_file_is_skipped_and_counted()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.Images, Path = _folder.Path });
        await source.StartAsync(CancellationToken.None);

        var names = new List<string?>();
        var firstPixels = new List<byte>();
        using var cts = new CancellationTokenSource(Patience);
        await foreach (var frame in source.Frames.ReadAllAsync(cts.Token))
        {
            using (frame)
            {
                names.Add(frame.SourceName);
                if (frame.SourceName!.EndsWith(".png")) firstPixels.Add(frame.Image.Row(0)[0]);
                Assert.Equal(PixelFormat.Rgb24, frame.Image.Format);
            }
        }

        Assert.Equal(["B.png", "a.jpg", "b.png", "c.png"], names);
        Assert.Equal([40, 20, 30], firstPixels);
        var health = source.Health;
        Assert.Equal(SourceState.Ended, health.State);
        Assert.Equal(4, health.Frames);
        Assert.Equal(1, health.Dropped);
    }

    [Fact]
    public async Task A_paced_folder_waits_for_a_slow_consumer_instead_of_dropping_files()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.Images, Path = _folder.Path, Fps = 200 });
        await source.StartAsync(CancellationToken.None);

        var names = new List<string?>();
        using (var held = await ReadFrameAsync(source))
        {
            names.Add(held.SourceName);
            // The consumer is busy with its first frame while the queue (capacity 2) fills up behind it.
            await UntilAsync(source, s => ((ImageFolderSource)s).WaitsForRoom >= 1, "the source waiting for room behind a busy consumer");
        }
        using var cts = new CancellationTokenSource(Patience);
        await foreach (var frame in source.Frames.ReadAllAsync(cts.Token))
            using (frame) names.Add(frame.SourceName);

        Assert.Equal(["B.png", "a.jpg", "b.png", "c.png"], names);
        Assert.Equal(1, source.Health.Dropped);   // only the corrupt file
    }

    [Fact]
    public async Task Looping_folder_wraps_to_its_first_image()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.Images, Path = _folder.Path, Loop = true });
        await source.StartAsync(CancellationToken.None);

        var names = new List<string?>();
        for (int i = 0; i < 9; i++)
            using (var frame = await ReadFrameAsync(source)) names.Add(frame.SourceName);

        Assert.Equal(["B.png", "a.jpg", "b.png", "c.png", "B.png", "a.jpg", "b.png", "c.png", "B.png"], names);
        Assert.Equal(SourceState.Running, source.Health.State);
        Assert.Equal(0, source.Health.Restarts);
    }

    [Fact]
    public async Task Unpaced_images_wait_for_the_consumer_instead_of_dropping()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.Images, Path = _folder.Path, Loop = true });
        await source.StartAsync(CancellationToken.None);
        await UntilAsync(source, s => s.Frames.Count == 2, "a full queue");

        var frames = new List<(long, string?)>();
        for (int i = 0; i < 6; i++)
            using (var frame = await ReadFrameAsync(source)) frames.Add((frame.Sequence, frame.SourceName));

        // Consecutive sequence numbers: no decoded image was evicted from the queue.
        Assert.Equal([(1, "B.png"), (2, "a.jpg"), (3, "b.png"), (4, "c.png"), (5, "B.png"), (6, "a.jpg")], frames);
    }

    [Fact]
    public async Task Images_are_paced_at_the_configured_rate()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.Images, Path = _folder.Path, Loop = true, Fps = 20 }, queueCapacity: 16);
        await source.StartAsync(CancellationToken.None);
        using (await ReadFrameAsync(source)) { }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 5; i++)
            using (await ReadFrameAsync(source)) { }

        // Five more frames at 20 per second cannot arrive in less than 250 ms (a little slack for timer granularity).
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(230), $"5 frames in {clock.ElapsedMilliseconds} ms at 20 fps");
    }

    [Fact]
    public async Task Images_are_resized_when_a_size_is_configured()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.Images, Path = _folder.Path, Width = 20, Height = 10 });
        await source.StartAsync(CancellationToken.None);
        using var frame = await ReadFrameAsync(source);

        Assert.Equal((20, 10), (frame.Image.Width, frame.Image.Height));
        Assert.Equal(40, frame.Image.Row(5)[30]);
    }

    [Fact]
    public async Task Triggered_folder_delivers_one_image_per_trigger()
    {
        await using var source = Create(new SourceOptions { Type = SourceType.Images, Path = _folder.Path, Loop = true }, triggered: true);
        await source.StartAsync(CancellationToken.None);
        Assert.False(source.Frames.TryRead(out _));

        source.Trigger();
        using (var first = await ReadFrameAsync(source)) Assert.Equal("B.png", first.SourceName);
        source.Trigger();
        using (var second = await ReadFrameAsync(source)) Assert.Equal("a.jpg", second.SourceName);
        Assert.Equal(2, source.Health.Frames);
        Assert.Equal(2, source.Captured);
    }

    [Fact]
    public async Task Empty_folder_without_loop_ends_at_once()
    {
        using var empty = new TempFolder();
        await using var source = Create(new SourceOptions { Type = SourceType.Images, Path = empty.Path });
        await source.StartAsync(CancellationToken.None);

        Assert.Empty(await ReadToEndAsync(source));
        Assert.Equal(SourceState.Ended, source.Health.State);
        Assert.Contains("no JPEG or PNG files", source.Health.Reason);
    }

    private void Save(string name, int width, int height, byte value)
    {
        using var image = new ImageBuffer(width, height, PixelFormat.Rgb24);
        image.Data.Fill(value);
        ImageCodec.Save(_folder.File(name), image);
    }
}
