using Microsoft.Extensions.Logging;

namespace Edge.Agent.Tests.Outbox;

using Edge.Agent.Outbox;
using static OutboxTesting;

public sealed class OutboxLimitTests : IDisposable
{
    private readonly OutboxFolder _folder = new();
    private readonly ListLogger _log = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 9, 1, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _folder.Dispose();

    private Outbox Open(Func<OutboxOptions, OutboxOptions> tweak) =>
        Outbox.Open(tweak(new OutboxOptions { Path = _folder.File() }), _log, _clock);

    [Fact]
    public async Task DropOldest_beyond_MaxMessages_deletes_the_oldest_and_counts_them()
    {
        long[] seqs = new long[15];
        using (var outbox = Open(o => o with { MaxMessages = 10 }))
        {
            for (int i = 0; i < seqs.Length; i++) seqs[i] = await outbox.EnqueueAsync("s", "t", new byte[] { (byte)i });

            Assert.Equal(seqs[5..], ReadAll(outbox).Select(m => m.Seq));
            var stats = outbox.Stats;
            Assert.Equal((10, 10, 15, 5, 0), (stats.Depth, stats.Bytes, stats.Enqueued, stats.DroppedForSize, stats.DroppedForAge));
        }
        // Five commits dropped one each: one warning at the first drop, the rest summed into one when closing.
        var warnings = _log.At(LogLevel.Warning);
        Assert.Equal(2, warnings.Count);
        Assert.Contains("dropped 1 oldest", warnings[0]);
        Assert.Contains("dropped 4 oldest", warnings[1]);
        Assert.Contains(_folder.File(), warnings[0]);
    }

    [Fact]
    public async Task DropOldest_beyond_MaxBytes_deletes_the_oldest_and_counts_them()
    {
        using var outbox = Open(o => o with { MaxBytes = 1000 });
        var seqs = new List<long>();
        for (int i = 0; i < 12; i++) seqs.Add(await outbox.EnqueueAsync("s", "t", new byte[100]));
        seqs.Add(await outbox.EnqueueAsync("s", "t", new byte[250])); // needs three 100-byte messages gone

        Assert.Equal(seqs[5..], ReadAll(outbox).Select(m => m.Seq));
        var stats = outbox.Stats;
        Assert.Equal((8, 950, 5), (stats.Depth, stats.Bytes, stats.DroppedForSize));
    }

    [Fact]
    public async Task A_batch_larger_than_MaxMessages_keeps_its_newest_messages()
    {
        using var outbox = Open(o => o with { MaxMessages = 10, CommitInterval = TimeSpan.FromSeconds(5), MaxBatch = 25 });
        long[] seqs = await Task.WhenAll(Enumerable.Range(0, 25).Select(i => outbox.EnqueueAsync("s", "t", new byte[1]).AsTask()))
            .Within("a full batch to commit");
        Assert.Equal(seqs.Order().Skip(15), ReadAll(outbox).Select(m => m.Seq));
        Assert.Equal(15, outbox.Stats.DroppedForSize);
    }

    [Fact]
    public async Task RejectNew_throws_OutboxFullException_and_keeps_what_is_stored()
    {
        using var outbox = Open(o => o with { MaxMessages = 3, MaxBytes = 1000, Overflow = OutboxOverflow.RejectNew });
        var kept = new List<long>();
        for (int i = 0; i < 3; i++) kept.Add(await outbox.EnqueueAsync("s", "t", new byte[10]));

        var full = await Assert.ThrowsAsync<OutboxFullException>(() => outbox.EnqueueAsync("s", "t", new byte[10]).AsTask());
        Assert.Contains("RejectNew", full.Message);
        Assert.Contains(_folder.File(), full.Message);
        Assert.Equal(kept, ReadAll(outbox).Select(m => m.Seq));
        Assert.Equal(1, outbox.Stats.Rejected);

        outbox.Acknowledge(kept[0]); // room again, but not for too many bytes
        await Assert.ThrowsAsync<OutboxFullException>(() => outbox.EnqueueAsync("s", "t", new byte[990]).AsTask());
        long next = await outbox.EnqueueAsync("s", "t", new byte[10]);
        Assert.Equal([kept[1], kept[2], next], ReadAll(outbox).Select(m => m.Seq));
        Assert.Equal((2, 0), (outbox.Stats.Rejected, outbox.Stats.DroppedForSize));
    }

    [Fact]
    public async Task Messages_older_than_MaxAge_are_dropped_at_the_next_commit_and_counted()
    {
        using var outbox = Open(o => o with { MaxAge = TimeSpan.FromMinutes(10) });
        for (int i = 0; i < 3; i++) await outbox.EnqueueAsync("s", "t", new byte[5]);
        _clock.Advance(TimeSpan.FromMinutes(6));
        long middle = await outbox.EnqueueAsync("s", "t", new byte[5]);
        Assert.Equal(TimeSpan.FromMinutes(6), outbox.Stats.OldestAge);

        _clock.Advance(TimeSpan.FromMinutes(5)); // the first three are 11 minutes old, the fourth 5
        long fresh = await outbox.EnqueueAsync("s", "t", new byte[5]);

        Assert.Equal([middle, fresh], ReadAll(outbox).Select(m => m.Seq));
        var stats = outbox.Stats;
        Assert.Equal((2, 10, 3, 0), (stats.Depth, stats.Bytes, stats.DroppedForAge, stats.DroppedForSize));
        Assert.Equal(TimeSpan.FromMinutes(5), stats.OldestAge);
        Assert.Contains("3 older than 00:10:00", Assert.Single(_log.At(LogLevel.Warning)));
    }

    [Fact]
    public async Task Messages_older_than_MaxAge_are_dropped_when_the_outbox_is_opened()
    {
        using (var outbox = Open(o => o with { MaxAge = TimeSpan.FromHours(1) }))
            for (int i = 0; i < 4; i++) await outbox.EnqueueAsync("s", "t", new byte[5]);
        _clock.Advance(TimeSpan.FromHours(2));

        using (var outbox = Open(o => o with { MaxAge = TimeSpan.FromHours(1) }))
        {
            Assert.Empty(ReadAll(outbox));
            Assert.Equal((0, 4), (outbox.Stats.Depth, outbox.Stats.DroppedForAge));
        }
    }

    [Fact]
    public async Task CreatedAt_comes_from_the_clock_given_to_Open()
    {
        using var outbox = Open(o => o);
        await outbox.EnqueueAsync("s", "t", new byte[1]);
        Assert.Equal(_clock.GetUtcNow(), ReadAll(outbox).Single().CreatedAt);
    }
}
