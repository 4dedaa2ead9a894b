using Edge.Agent.Kiosk;
using Edge.Models.Imaging;

namespace Edge.Agent.Tests.Kiosk;

public sealed class KioskStoreTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 2, 17), Day2 = new(2026, 2, 18);
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("edge-kiosk-store-");

    public void Dispose() => _state.Delete(recursive: true);

    private static Bitmap1 Card(int seed)
    {
        var card = new Bitmap1(384, 40);
        var rng = new Random(seed);
        rng.NextBytes(card.Data);
        return card;
    }

    [Fact]
    public void A_queued_card_is_still_there_with_every_dot_after_the_queue_is_reopened()
    {
        var card = Card(1);
        long id;
        using (var queue = PrintQueue.Open(_state.FullName))
        {
            id = queue.Add(DateTimeOffset.UnixEpoch, "spring-festival", "李小龙", card);
            queue.RecordAttempt(id, "paper out");
        }
        using (var reopened = PrintQueue.Open(_state.FullName))
        {
            var job = reopened.Oldest()!;
            Assert.Equal((id, "spring-festival", "李小龙", 1, "paper out"), (job.Id, job.FestivalId, job.GuestText, job.Attempts, job.LastProblem));
            Assert.True(job.Card.SameDots(card));
            reopened.Remove(id);
            Assert.Null(reopened.Oldest());
        }
    }

    [Fact]
    public void Queued_cards_come_out_oldest_first()
    {
        using var queue = PrintQueue.Open(_state.FullName);
        long first = queue.Add(DateTimeOffset.UnixEpoch, "qixi", "a", Card(1));
        long second = queue.Add(DateTimeOffset.UnixEpoch, "qixi", "b", Card(2));
        Assert.Equal(2, queue.Count);
        Assert.Equal(first, queue.Oldest()!.Id);
        queue.Remove(first);
        Assert.Equal(second, queue.Oldest()!.Id);
    }

    [Fact]
    public void The_ledger_counts_per_day_and_survives_a_reopen()
    {
        using (var ledger = UsageLedger.Open(_state.FullName))
        {
            ledger.Record(Day1, LedgerCounter.CardsPrinted);
            ledger.Record(Day1, LedgerCounter.CardsPrinted);
            ledger.Record(Day1, LedgerCounter.OcrCalls, 3);
            ledger.Record(Day2, LedgerCounter.Faults);
        }
        using var reopened = UsageLedger.Open(_state.FullName);
        Assert.Equal(new LedgerDay(Day1, 2, 3, 0, 0, 0, 0), reopened.Day(Day1));
        Assert.Equal(new LedgerDay(Day2, 0, 0, 1, 0, 0, 0), reopened.Day(Day2));
        var snapshot = reopened.Snapshot(Day2);
        Assert.Equal((2L, 3L), (snapshot.CardsAllTime, snapshot.OcrCallsAllTime));
        Assert.Null(snapshot.DailyQuota);
        Assert.False(snapshot.QuotaReached);
    }

    [Fact]
    public void The_quota_counts_cards_still_waiting_for_the_printer_and_starts_afresh_the_next_day()
    {
        using var ledger = UsageLedger.Open(_state.FullName, dailyQuota: 2);
        ledger.Record(Day1, LedgerCounter.CardsPrinted);
        Assert.False(ledger.QuotaReached(Day1));
        Assert.True(ledger.QuotaReached(Day1, pendingJobs: 1));
        ledger.Record(Day1, LedgerCounter.CardsPrinted);
        Assert.True(ledger.QuotaReached(Day1));
        Assert.Equal(0, ledger.Snapshot(Day1).CardsLeftToday);
        Assert.False(ledger.QuotaReached(Day2));
        Assert.Equal(2, ledger.Snapshot(Day2).CardsLeftToday);
    }
}
