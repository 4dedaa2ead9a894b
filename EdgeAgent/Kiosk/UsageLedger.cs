using Microsoft.Data.Sqlite;

namespace Edge.Agent.Kiosk;

/// <summary>What happened at the kiosk on one local day.</summary>
public sealed record LedgerDay(DateOnly Day, int CardsPrinted, int OcrCalls, int Faults, int Guests, int WalkAways, int TurnedAway);

/// <summary>The ledger as telemetry reports it: today's counts, the quota, and totals since the ledger was created.</summary>
public sealed record UsageSnapshot(LedgerDay Today, int? DailyQuota, int? CardsLeftToday, bool QuotaReached, long CardsAllTime, long OcrCallsAllTime);

/// <summary>What the ledger counts.</summary>
public enum LedgerCounter { CardsPrinted, OcrCalls, Faults, Guests, WalkAways, TurnedAway }

/// <summary>
/// Per local day counts of cards printed, OCR calls, printer faults and guests, kept in SQLite in the state
/// directory so they survive restarts, with an optional daily quota of cards.
/// </summary>
public sealed class UsageLedger : IDisposable
{
    public const string FileName = "kiosk-ledger.db";
    private static readonly string[] Columns = ["cards", "ocr", "faults", "guests", "walkaways", "turned_away"];
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();

    private UsageLedger(SqliteConnection db, int? dailyQuota)
    {
        _db = db;
        DailyQuota = dailyQuota;
    }

    /// <summary>Cards per day, or null for no limit.</summary>
    public int? DailyQuota { get; }

    public static UsageLedger Open(string stateDirectory, int? dailyQuota = null)
    {
        if (dailyQuota is < 1) throw new ArgumentOutOfRangeException(nameof(dailyQuota), dailyQuota, "a daily quota must be at least 1 card (null: no limit)");
        var db = KioskDatabase.Open(Path.Combine(stateDirectory, FileName), """
            CREATE TABLE IF NOT EXISTS usage_days(
                day TEXT PRIMARY KEY, cards INTEGER NOT NULL DEFAULT 0, ocr INTEGER NOT NULL DEFAULT 0, faults INTEGER NOT NULL DEFAULT 0,
                guests INTEGER NOT NULL DEFAULT 0, walkaways INTEGER NOT NULL DEFAULT 0, turned_away INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
            """);
        return new UsageLedger(db, dailyQuota);
    }

    public void Record(DateOnly day, LedgerCounter counter, int count = 1)
    {
        string column = Columns[(int)counter];
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = $"INSERT INTO usage_days(day, {column}) VALUES ($d, $n) ON CONFLICT(day) DO UPDATE SET {column} = {column} + $n";
            cmd.Parameters.AddWithValue("$d", day.ToString("yyyy-MM-dd"));
            cmd.Parameters.AddWithValue("$n", count);
            cmd.ExecuteNonQuery();
        }
    }

    public LedgerDay Day(DateOnly day)
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT cards, ocr, faults, guests, walkaways, turned_away FROM usage_days WHERE day = $d";
            cmd.Parameters.AddWithValue("$d", day.ToString("yyyy-MM-dd"));
            using var r = cmd.ExecuteReader();
            return r.Read()
                ? new LedgerDay(day, r.GetInt32(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5))
                : new LedgerDay(day, 0, 0, 0, 0, 0, 0);
        }
    }

    /// <summary>Whether <paramref name="day"/>'s cards, with <paramref name="pendingJobs"/> still to print, have used up the quota.</summary>
    public bool QuotaReached(DateOnly day, int pendingJobs = 0) => DailyQuota is int q && Day(day).CardsPrinted + pendingJobs >= q;

    public UsageSnapshot Snapshot(DateOnly today, int pendingJobs = 0)
    {
        var day = Day(today);
        long cards, ocr;
        lock (_lock)
        {
            cards = KioskDatabase.Scalar(_db, "SELECT COALESCE(SUM(cards), 0) FROM usage_days");
            ocr = KioskDatabase.Scalar(_db, "SELECT COALESCE(SUM(ocr), 0) FROM usage_days");
        }
        int? left = DailyQuota is int q ? Math.Max(0, q - day.CardsPrinted - pendingJobs) : null;
        return new UsageSnapshot(day, DailyQuota, left, left == 0, cards, ocr);
    }

    public void Dispose() => _db.Dispose();
}
