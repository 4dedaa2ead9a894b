using Edge.Models.Imaging;
using Microsoft.Data.Sqlite;

namespace Edge.Agent.Kiosk;

/// <summary>One card waiting for the printer, as stored.</summary>
public sealed record KioskPrintJob(long Id, DateTimeOffset CreatedAt, string FestivalId, string GuestText, Bitmap1 Card, int Attempts, string? LastProblem);

/// <summary>
/// Cards on their way to the printer, committed to SQLite (WAL, synchronous=FULL) before the first byte is sent and
/// deleted only once the printer reports the whole card printed. Paper out, a closed connection or a killed agent
/// leave the job here, and the next <see cref="Oldest"/> (from this process or the next) hands it out again.
/// </summary>
public sealed class PrintQueue : IDisposable
{
    public const string FileName = "kiosk-print-queue.db";
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();

    private PrintQueue(SqliteConnection db, string path)
    {
        _db = db;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens (or creates) <see cref="FileName"/> in <paramref name="stateDirectory"/>.</summary>
    public static PrintQueue Open(string stateDirectory)
    {
        var path = System.IO.Path.Combine(stateDirectory, FileName);
        var db = KioskDatabase.Open(path, """
            CREATE TABLE IF NOT EXISTS print_jobs(
                id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL, festival TEXT NOT NULL, guest TEXT NOT NULL,
                width INTEGER NOT NULL, height INTEGER NOT NULL, dots BLOB NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, last_problem TEXT);
            """);
        return new PrintQueue(db, path);
    }

    /// <summary>Jobs waiting.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return (int)KioskDatabase.Scalar(_db, "SELECT COUNT(*) FROM print_jobs");
        }
    }

    /// <summary>Stores a card durably; returns the job's id once it is on disk.</summary>
    public long Add(DateTimeOffset createdAt, string festivalId, string guestText, Bitmap1 card)
    {
        ArgumentNullException.ThrowIfNull(card);
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "INSERT INTO print_jobs(created_at, festival, guest, width, height, dots) VALUES ($t, $f, $g, $w, $h, $d) RETURNING id";
            cmd.Parameters.AddWithValue("$t", createdAt.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$f", festivalId);
            cmd.Parameters.AddWithValue("$g", guestText);
            cmd.Parameters.AddWithValue("$w", card.Width);
            cmd.Parameters.AddWithValue("$h", card.Height);
            cmd.Parameters.AddWithValue("$d", card.Data.ToArray());
            return (long)cmd.ExecuteScalar()!;
        }
    }

    /// <summary>The job that has waited longest, or null.</summary>
    public KioskPrintJob? Oldest()
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT id, created_at, festival, guest, width, height, dots, attempts, last_problem FROM print_jobs ORDER BY id LIMIT 1";
            using var r = cmd.ExecuteReader();
            if (!r.Read()) return null;
            var card = Bitmap1.FromPacked(r.GetInt32(4), r.GetInt32(5), (byte[])r[6]);
            return new KioskPrintJob(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2), r.GetString(3),
                card, r.GetInt32(7), r.IsDBNull(8) ? null : r.GetString(8));
        }
    }

    /// <summary>Counts a try that did not print the whole card, and why.</summary>
    public void RecordAttempt(long id, string problem)
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "UPDATE print_jobs SET attempts = attempts + 1, last_problem = $p WHERE id = $id";
            cmd.Parameters.AddWithValue("$p", problem);
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Deletes a job: call only when the printer reported the card complete, or the guest left before it was sent.</summary>
    public void Remove(long id)
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "DELETE FROM print_jobs WHERE id = $id";
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
        }
    }

    public void Dispose() => _db.Dispose();
}

/// <summary>Opens the kiosk's small SQLite files the way the outbox does: WAL, synchronous=FULL, one process at a time.</summary>
internal static class KioskDatabase
{
    public static SqliteConnection Open(string path, string schema)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // disposing must release the file at once (a restarted kiosk opens it again)
            DefaultTimeout = 1,
        }.ToString());
        try
        {
            db.Open();
            Execute(db, "PRAGMA busy_timeout=1000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL");
            Execute(db, schema);
            return db;
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new IOException($"{path}: cannot open the kiosk's SQLite file: {e.Message}", e);
        }
    }

    public static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public static long Scalar(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar() ?? 0L);
    }
}
