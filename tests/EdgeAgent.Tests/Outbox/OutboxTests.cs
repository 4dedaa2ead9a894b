using System.Text;

namespace Edge.Agent.Tests.Outbox;

using Edge.Agent.Outbox;
using static OutboxTesting;

public sealed class OutboxTests : IDisposable
{
    private readonly OutboxFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private Outbox Open(Func<OutboxOptions, OutboxOptions>? tweak = null) =>
        Outbox.Open((tweak ?? (o => o))(new OutboxOptions { Path = _folder.File() }));

    [Fact]
    public async Task Enqueued_messages_are_read_in_seq_order_and_gone_once_acknowledged()
    {
        using var outbox = Open();
        long first = await outbox.EnqueueAsync("ocr", "edge/kiosk-1/ocr", "one"u8.ToArray(), qos: 0);
        long second = await outbox.EnqueueAsync("detect", "edge/line-2/detect", "two"u8.ToArray(), qos: 2);
        long third = await outbox.EnqueueAsync("ocr", "edge/kiosk-1/ocr", "three"u8.ToArray());
        Assert.True(first < second && second < third);

        var pending = ReadAll(outbox);
        Assert.Equal([first, second, third], pending.Select(m => m.Seq));
        Assert.Equal(["one", "two", "three"], pending.Select(m => Encoding.UTF8.GetString(m.Payload.Span)));
        Assert.Equal(("detect", "edge/line-2/detect", 2), (pending[1].Stream, pending[1].Topic, pending[1].Qos));
        Assert.Equal(3, outbox.Stats.Depth);
        Assert.Equal(3 + 3 + 5, outbox.Stats.Bytes);

        var afterFirst = new List<OutboxMessage>();
        Assert.Equal(1, outbox.ReadPending(first, 1, afterFirst));
        Assert.Equal(second, afterFirst.Single().Seq);

        outbox.Acknowledge(second);
        outbox.Acknowledge([first, third, second]); // second again: acknowledging is idempotent
        Assert.Empty(ReadAll(outbox));
        var stats = outbox.Stats;
        Assert.Equal((0, 0, TimeSpan.Zero, 3, 3), (stats.Depth, stats.Bytes, stats.OldestAge, stats.Enqueued, stats.Acknowledged));
    }

    [Fact]
    public async Task Seq_keeps_increasing_after_reopen_even_when_everything_was_acknowledged()
    {
        long last;
        using (var outbox = Open())
        {
            for (int i = 0; i < 3; i++) await outbox.EnqueueAsync("s", "t", new byte[10]);
            last = await outbox.EnqueueAsync("s", "t", new byte[10]);
            outbox.Acknowledge(ReadAll(outbox).Select(m => m.Seq).ToArray());
        }
        using (var outbox = Open())
        {
            Assert.Equal(0, outbox.Stats.Depth);
            Assert.Equal(last + 1, await outbox.EnqueueAsync("s", "t", new byte[10]));
        }
    }

    [Fact]
    public async Task Unacknowledged_messages_survive_dispose_and_reopen()
    {
        var payloads = Enumerable.Range(0, 50).Select(i => Encoding.UTF8.GetBytes($"result {i}")).ToArray();
        long[] seqs;
        await using (var outbox = Open())
            seqs = await Task.WhenAll(payloads.Select(p => outbox.EnqueueAsync("ocr", "edge/ocr", p).AsTask()));

        using (var outbox = Open())
        {
            var pending = ReadAll(outbox);
            Assert.Equal(seqs.Order(), pending.Select(m => m.Seq));
            Assert.Equal(payloads.Select(p => Encoding.UTF8.GetString(p)).Order(), pending.Select(m => Encoding.UTF8.GetString(m.Payload.Span)).Order());
            Assert.Equal(50, outbox.Stats.Depth);
            Assert.Equal(payloads.Sum(p => p.Length), outbox.Stats.Bytes);
        }
    }

    [Fact]
    public async Task Dispose_commits_queued_enqueues_and_later_enqueues_throw_ObjectDisposedException()
    {
        var outbox = Open(o => o with { CommitInterval = TimeSpan.FromSeconds(10), MaxBatch = 1000 }); // nothing commits before Dispose
        var queued = Enumerable.Range(0, 100).Select(i => outbox.EnqueueAsync("s", "t", new byte[] { (byte)i }).AsTask()).ToArray();
        outbox.Dispose();

        Assert.All(queued, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Throws<ObjectDisposedException>(() => { _ = outbox.EnqueueAsync("s", "t", new byte[1]); });
        Assert.Throws<ObjectDisposedException>(() => outbox.ReadPending(0, 10, []));
        Assert.Throws<ObjectDisposedException>(() => outbox.Acknowledge(1));
        outbox.Dispose(); // twice is fine

        using var reopened = Open();
        Assert.Equal(queued.Select(t => t.Result), ReadAll(reopened).Select(m => m.Seq));
    }

    [Fact]
    public async Task Concurrent_enqueues_from_four_threads_all_land_exactly_once()
    {
        const int threads = 4, each = 2_500;
        using var outbox = Open();
        var tasks = new Task<long>[threads * each];
        using var start = new Barrier(threads);
        var producers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < each; i++)
                tasks[t * each + i] = outbox.EnqueueAsync($"stream-{t}", "edge/t", BitConverter.GetBytes(t * each + i)).AsTask();
        })).ToList();
        producers.ForEach(p => p.Start());
        producers.ForEach(p => Assert.True(p.Join(Patience), "a producer thread did not finish"));

        long[] seqs = await Task.WhenAll(tasks).Within("10,000 concurrent enqueues to commit");
        Assert.Equal(seqs.Length, seqs.Distinct().Count());

        var stored = ReadAll(outbox);
        Assert.Equal(seqs.Order(), stored.Select(m => m.Seq));
        Assert.Equal(Enumerable.Range(0, threads * each), stored.Select(m => BitConverter.ToInt32(m.Payload.Span)).Order());
        foreach (var m in stored) // each message got the Seq its own task reported
            Assert.Equal(seqs[BitConverter.ToInt32(m.Payload.Span)], m.Seq);
        foreach (var stream in stored.GroupBy(m => m.Stream)) // a stream's messages are in its enqueue order
            Assert.Equal(stream.Select(m => BitConverter.ToInt32(m.Payload.Span)).Order(), stream.Select(m => BitConverter.ToInt32(m.Payload.Span)));
        Assert.Equal(threads * each, outbox.Stats.Enqueued);
    }

    [Fact]
    public async Task MessagesAvailable_fires_after_a_commit_with_the_message_already_readable()
    {
        using var outbox = Open();
        var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        outbox.MessagesAvailable += () =>
        {
            var pending = new List<OutboxMessage>();
            outbox.ReadPending(0, 10, pending);
            if (pending.Count > 0) seen.TrySetResult(pending[0].Seq);
        };
        long seq = await outbox.EnqueueAsync("s", "t", new byte[3]).Within("the enqueue to commit");
        Assert.Equal(seq, await seen.Task.Within("MessagesAvailable"));
    }

    [Fact]
    public async Task A_throwing_MessagesAvailable_handler_does_not_stop_commits()
    {
        using var outbox = Open();
        outbox.MessagesAvailable += () => throw new InvalidOperationException("subscriber bug");
        await outbox.EnqueueAsync("s", "t", new byte[1]).Within("the first commit");
        await outbox.EnqueueAsync("s", "t", new byte[1]).Within("a commit after the handler threw");
        Assert.Equal(2, outbox.Stats.Depth);
    }

    [Fact]
    public void Bad_arguments_are_refused_before_anything_is_queued()
    {
        using var outbox = Open(o => o with { MaxBytes = 100 });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = outbox.EnqueueAsync("s", "t", new byte[1], qos: 3); });
        Assert.Throws<ArgumentException>(() => { _ = outbox.EnqueueAsync("", "t", new byte[1]); });
        var tooBig = Assert.Throws<ArgumentException>(() => { _ = outbox.EnqueueAsync("s", "t", new byte[101]); });
        Assert.Contains("MaxBytes", tooBig.Message);
        Assert.True(outbox.EnqueueAsync("s", "t", new byte[1], ct: new CancellationToken(canceled: true)).IsCanceled);
        Assert.Equal(0, outbox.Stats.Depth);
    }

    public static TheoryData<OutboxOptions, string, string> BadOptions => new()
    {
        { new OutboxOptions { Path = " " }, "Path", "' '" },
        { new OutboxOptions { Path = "o.db", MaxBytes = 0 }, "MaxBytes", "0" },
        { new OutboxOptions { Path = "o.db", MaxMessages = -5 }, "MaxMessages", "-5" },
        { new OutboxOptions { Path = "o.db", MaxAge = TimeSpan.Zero }, "MaxAge", "00:00:00" },
        { new OutboxOptions { Path = "o.db", Overflow = (OutboxOverflow)7 }, "Overflow", "7" },
        { new OutboxOptions { Path = "o.db", CommitInterval = TimeSpan.FromMilliseconds(-1) }, "CommitInterval", "-00:00:00.0010000" },
        { new OutboxOptions { Path = "o.db", MaxBatch = 0 }, "MaxBatch", "0" },
        { new OutboxOptions { Path = "o.db", MaxBatch = 1_000_000 }, "MaxBatch", "1000000" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_names_the_bad_option_its_value_and_what_is_allowed(OutboxOptions options, string option, string value)
    {
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(option, e.ParamName);
        Assert.Contains($"OutboxOptions.{option} is {value};", e.Message);
        Assert.Contains("allowed:", e.Message);
        Assert.Throws<ArgumentException>(() => Outbox.Open(options));
    }

    [Fact]
    public void Default_options_are_valid()
    {
        new OutboxOptions { Path = "outbox.db" }.Validate();
    }
}
