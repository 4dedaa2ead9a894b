using Edge.Agent.Inspection;
using Edge.Models.Imaging;

namespace Edge.Agent.Tests.Inspection;

/// <summary>The background snapshot writer on real files in a temporary folder; waits are on the writer's state, never sleeps.</summary>
public sealed class SnapshotWriterTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset T0 = new(2025, 1, 6, 8, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-snapshot-writer-").FullName;
    private readonly ImageBuffer _frame = new(32, 24, PixelFormat.Rgb24);

    public void Dispose()
    {
        _frame.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private SnapshotStore Store(int maxFiles = 100) => new(_dir, maxFiles, TimeSpan.FromHours(1));

    private string[] Files() => Directory.GetFiles(_dir, "*.jpg").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();

    private static byte MeanRed(string path)
    {
        using var image = new ImageBuffer();
        ImageCodec.Load(path, image, PixelFormat.Rgb24);
        long sum = 0;
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < image.Width; x++) sum += row[x * 3];
        }
        return (byte)(sum / (image.Width * image.Height));
    }

    [Fact]
    public void A_snapshot_folder_that_is_a_file_or_cannot_be_made_is_refused_by_name()
    {
        var file = Path.Combine(_dir, "defects");
        File.WriteAllText(file, "not a folder");
        var underFile = Path.Combine(file, "line1");

        var e = Assert.Throws<IOException>(() => new SnapshotStore(file, 10, TimeSpan.FromHours(1)));
        var made = Assert.Throws<IOException>(() => SnapshotStore.EnsureFolder(underFile));

        Assert.Equal($"snapshot folder {file} is a file, not a folder", e.Message);
        Assert.StartsWith($"snapshot folder {underFile} cannot be created: ", made.Message);
        Assert.Equal("not a folder", File.ReadAllText(file)); // nothing of it was touched
    }

    [Fact]
    public void Snapshots_appear_under_the_names_announced_when_queued_with_the_frame_as_it_was_then()
    {
        using var writer = new SnapshotWriter(Store());
        var names = new List<string>();
        for (int i = 1; i <= 3; i++)
        {
            _frame.Data.Fill((byte)(i * 60));
            names.Add(writer.TryEnqueue(_frame, i, T0.AddSeconds(i))!);
        }
        _frame.Data.Fill(0); // the caller reuses its frame at once; the writer has its own copy

        Assert.Equal([SnapshotStore.NameFor(1, T0.AddSeconds(1)), SnapshotStore.NameFor(2, T0.AddSeconds(2)), SnapshotStore.NameFor(3, T0.AddSeconds(3))], names);
        Assert.True(writer.WaitUntilIdle(Wait), "the writer wrote the three snapshots");
        Assert.Equal(names, Files());
        Assert.Equal(3, writer.Written);
        for (int i = 1; i <= 3; i++) Assert.InRange(MeanRed(Path.Combine(_dir, names[i - 1])), i * 60 - 4, i * 60 + 4);
    }

    [Fact]
    public void A_full_queue_drops_and_counts_the_snapshot_instead_of_blocking_the_line()
    {
        using var gate = new ManualResetEventSlim(false);
        using var writer = new SnapshotWriter(Store(), capacity: 3) { WriteGate = gate };
        int droppedEvents = 0;
        writer.Dropped += () => droppedEvents++;

        // The disk is "stuck" (the gate is closed): three fit, the next two are dropped at once.
        var accepted = Enumerable.Range(1, 3).Select(i => writer.TryEnqueue(_frame, i, T0.AddSeconds(i))).ToList();
        Assert.All(accepted, Assert.NotNull);
        Assert.Null(writer.TryEnqueue(_frame, 4, T0.AddSeconds(4)));
        Assert.Null(writer.TryEnqueue(_frame, 5, T0.AddSeconds(5)));
        Assert.Equal(2, writer.SnapshotsDropped);
        Assert.Equal(2, droppedEvents);
        Assert.Equal(3, writer.Pending);

        gate.Set();
        Assert.True(writer.WaitUntilIdle(Wait), "the writer caught up once the disk was free");
        Assert.Equal(accepted, Files());
        // Room again: the next snapshot is taken.
        var next = writer.TryEnqueue(_frame, 6, T0.AddSeconds(6));
        Assert.NotNull(next);
        Assert.True(writer.WaitUntilIdle(Wait));
        Assert.Contains(next, Files());
        Assert.Equal(2, writer.SnapshotsDropped);
    }

    [Fact]
    public async Task Dispose_writes_every_queued_snapshot_before_it_returns()
    {
        using var gate = new ManualResetEventSlim(false);
        var writer = new SnapshotWriter(Store(), capacity: 8) { WriteGate = gate };
        var names = Enumerable.Range(1, 5).Select(i => writer.TryEnqueue(_frame, i, T0.AddSeconds(i))!).ToList();

        var disposing = Task.Run(writer.Dispose);
        Assert.False(disposing.IsCompleted, "dispose waits while snapshots are queued");
        gate.Set();
        await disposing.WaitAsync(Wait);

        Assert.Equal(names, Files());
        Assert.Equal(5, writer.Written);
        Assert.Null(writer.TryEnqueue(_frame, 6, T0.AddSeconds(6))); // stopped: nothing more is taken
    }

    [Fact]
    public void A_write_into_a_removed_folder_is_counted_and_the_next_one_succeeds_once_the_folder_is_back()
    {
        using var writer = new SnapshotWriter(Store());
        var failed = new List<string>();
        writer.WriteFailed += (path, _) => { lock (failed) failed.Add(path); };

        Directory.Delete(_dir, recursive: true);
        var lost = writer.TryEnqueue(_frame, 1, T0.AddSeconds(1))!;
        Assert.True(writer.WaitUntilIdle(Wait));
        Assert.Equal(1, writer.WriteErrors);
        Assert.Equal(0, writer.Written);
        Assert.Equal([Path.Combine(_dir, lost)], failed);

        Directory.CreateDirectory(_dir);
        var kept = writer.TryEnqueue(_frame, 2, T0.AddSeconds(2))!;
        Assert.True(writer.WaitUntilIdle(Wait));
        Assert.Equal([kept], Files());
        Assert.Equal(1, writer.Written);
        Assert.Equal(1, writer.WriteErrors);
        Assert.Empty(Directory.GetFiles(_dir, "*.partial"));
    }

    [Fact]
    public void Retention_still_holds_when_snapshots_are_written_in_the_background()
    {
        var store = Store(maxFiles: 3);
        using var writer = new SnapshotWriter(store);
        var names = Enumerable.Range(1, 5).Select(i => writer.TryEnqueue(_frame, i, T0.AddMinutes(i))!).ToList();
        Assert.True(writer.WaitUntilIdle(Wait));
        Assert.Equal(names[2..], Files());
        Assert.Equal(2, store.Deleted);

        // Age limit: at 64.5 min, parts 3 and 4 are over an hour old and go; part 5 stays.
        var last = writer.TryEnqueue(_frame, 6, T0.AddMinutes(64.5))!;
        Assert.True(writer.WaitUntilIdle(Wait));
        Assert.Equal([names[4], last], Files());
    }

    [Fact]
    public void The_queue_size_option_is_validated_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => new InspectionOptions { SnapshotQueue = 0 }.Validate());
        Assert.Contains("SnapshotQueue = 0", e.Message);
        Assert.Equal(8, InspectionOptions.Default.SnapshotQueue);
    }
}
