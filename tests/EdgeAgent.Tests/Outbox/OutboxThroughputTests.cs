using System.Diagnostics;
using Xunit.Abstractions;

namespace Edge.Agent.Tests.Outbox;

using Edge.Agent.Outbox;

/// <summary>Reports rates for the record; timing depends on the disk, so nothing here asserts on time.</summary>
public sealed class OutboxThroughputTests(ITestOutputHelper output) : IDisposable
{
    private const int Messages = 20_000;
    private readonly OutboxFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Reports_enqueue_and_acknowledge_rates_for_20k_messages_of_1_KB()
    {
        var payload = new byte[1024];
        using var outbox = Outbox.Open(new OutboxOptions { Path = _folder.File() });

        var clock = Stopwatch.StartNew();
        var tasks = new Task<long>[Messages];
        for (int i = 0; i < Messages; i++) tasks[i] = outbox.EnqueueAsync("bench", "edge/bench", payload).AsTask();
        await Task.WhenAll(tasks);
        Report("enqueue, all 20k in flight", Messages, clock.Elapsed);

        clock.Restart();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < Messages / 64; i++) await outbox.EnqueueAsync("bench", "edge/bench", payload);
        })));
        int awaited = Messages / 64 * 64;
        Report("enqueue, 64 producers awaiting each", awaited, clock.Elapsed);

        clock.Restart();
        long sequential = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(1)) { await outbox.EnqueueAsync("bench", "edge/bench", payload); sequential++; }
        Report("enqueue, one producer awaiting each", sequential, clock.Elapsed);

        var page = new List<OutboxMessage>(512);
        var seqs = new long[512];
        long read = 0, acked = 0, after = 0;
        var readTime = TimeSpan.Zero;
        clock.Restart();
        while (acked < Messages)
        {
            page.Clear();
            var started = clock.Elapsed;
            read += outbox.ReadPending(after, 512, page);
            readTime += clock.Elapsed - started;
            for (int i = 0; i < page.Count; i++) seqs[i] = page[i].Seq;
            outbox.Acknowledge(seqs.AsSpan(0, page.Count));
            acked += page.Count;
            after = page[^1].Seq;
        }
        Report("read pending, pages of 512", read, readTime);
        Report("read + acknowledge, pages of 512", acked, clock.Elapsed);

        page.Clear();
        outbox.ReadPending(after, 5_000, page);
        clock.Restart();
        foreach (var m in page) outbox.Acknowledge(m.Seq);
        Report("acknowledge one at a time", page.Count, clock.Elapsed);

        await using (var immediate = Outbox.Open(new OutboxOptions { Path = _folder.File("immediate.db"), CommitInterval = TimeSpan.Zero }))
        {
            clock.Restart();
            long n = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(1)) { await immediate.EnqueueAsync("bench", "edge/bench", payload); n++; }
            Report("same, CommitInterval 0 (one fsync each)", n, clock.Elapsed);
        }

        var stats = outbox.Stats;
        output.WriteLine($"stats: {stats}");
        Assert.Equal(Messages + awaited + sequential, stats.Enqueued);
    }

    private void Report(string what, long count, TimeSpan elapsed) =>
        output.WriteLine($"{what,-40} {count,7} in {elapsed.TotalMilliseconds,8:F0} ms = {count / elapsed.TotalSeconds,9:N0} /s");
}
