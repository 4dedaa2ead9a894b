using Microsoft.Data.Sqlite;

namespace Edge.Agent.Outbox;

/// <summary>The outbox's SQLite file: schema, prepared statements and the limits. Not thread-safe; <see cref="Outbox"/> serialises calls.</summary>
internal sealed class OutboxStore : IDisposable
{
    private const long SchemaVersion = 1;
    private const int SqliteError = 1, SqliteBusy = 5, SqliteCorrupt = 11, SqliteNotADatabase = 26;
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    private readonly SqliteConnection _db;
    private readonly long _maxBytes, _maxMessages, _maxAgeMs;
    private readonly bool _dropOldest;
    private readonly SqliteCommand _begin, _commit, _rollback, _syncFull, _syncNormal;
    private readonly SqliteCommand _insert, _setLastSeq, _scanOldest, _deleteThrough, _oldest, _ack, _read;
    private readonly SqliteParameter _seq, _stream, _topic, _payload, _qos, _created, _lastSeq, _through, _ackSeq, _after, _max;
    private bool _durable = true;
    private State _state;

    /// <summary>What is stored; changed only after a transaction commits.</summary>
    public record struct State(long LastSeq, long Depth, long Bytes, long OldestMs);

    public record struct BatchResult(int Inserted, int Rejected, long DroppedForSize, long DroppedForAge);

    public string Path { get; }
    public State Current => _state;

    private OutboxStore(SqliteConnection db, string path, OutboxOptions options)
    {
        _db = db;
        Path = path;
        _maxBytes = options.MaxBytes;
        _maxMessages = options.MaxMessages;
        _maxAgeMs = options.MaxAge.Ticks / TimeSpan.TicksPerMillisecond;
        _dropOldest = options.Overflow == OutboxOverflow.DropOldest;

        _begin = Command("BEGIN IMMEDIATE");
        _commit = Command("COMMIT");
        _rollback = Command("ROLLBACK");
        _syncFull = Command("PRAGMA synchronous=FULL");
        _syncNormal = Command("PRAGMA synchronous=NORMAL");
        _insert = Command("INSERT INTO outbox_messages(seq, stream, topic, payload, qos, created_at) VALUES ($seq, $stream, $topic, $payload, $qos, $created)");
        (_seq, _stream, _topic, _payload, _qos, _created) =
            (Param(_insert, "$seq"), Param(_insert, "$stream"), Param(_insert, "$topic"), Param(_insert, "$payload"), Param(_insert, "$qos"), Param(_insert, "$created"));
        _setLastSeq = Command("UPDATE outbox_meta SET value = $v WHERE key = 'last_seq'");
        _lastSeq = Param(_setLastSeq, "$v");
        _scanOldest = Command("SELECT seq, created_at, length(payload) FROM outbox_messages ORDER BY seq");
        _deleteThrough = Command("DELETE FROM outbox_messages WHERE seq <= $through");
        _through = Param(_deleteThrough, "$through");
        _oldest = Command("SELECT created_at FROM outbox_messages ORDER BY seq LIMIT 1");
        _ack = Command("DELETE FROM outbox_messages WHERE seq = $seq RETURNING length(payload)");
        _ackSeq = Param(_ack, "$seq");
        _read = Command("SELECT seq, stream, topic, payload, qos, created_at FROM outbox_messages WHERE seq > $after ORDER BY seq LIMIT $max");
        (_after, _max) = (Param(_read, "$after"), Param(_read, "$max"));
        foreach (var cmd in (ReadOnlySpan<SqliteCommand>)[_begin, _commit, _rollback, _syncFull, _syncNormal, _insert, _setLastSeq, _scanOldest, _deleteThrough, _oldest, _ack, _read])
            cmd.Prepare(); // compiled once, re-bound per message

        using var count = Command("SELECT count(*), coalesce(sum(length(payload)), 0) FROM outbox_messages");
        using var totals = count.ExecuteReader();
        totals.Read();
        _state = new State(ScalarLong("SELECT value FROM outbox_meta WHERE key = 'last_seq'"), totals.GetInt64(0), totals.GetInt64(1), QueryOldest());
    }

    /// <summary>Opens or creates the file; refuses anything that is not this outbox without writing to it.</summary>
    public static OutboxStore Open(OutboxOptions options)
    {
        string path = System.IO.Path.GetFullPath(options.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        RefuseNonSqlite(path);
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // closing must release the file (and its lock) at once
            DefaultTimeout = 1, // seconds; only open can meet a lock (another process's), and waiting longer would not free it
        }.ToString());
        try
        {
            db.Open();
            // Exclusive locking: a second agent on the same file fails at open instead of corrupting the seq order; WAL then needs no -shm file.
            Execute(db, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA busy_timeout=1000");
            var tables = Tables(db);
            bool fresh = tables.Count == 0;
            if (!fresh) CheckSchema(db, path, tables); // before anything below writes to a file that may be someone else's
            if (ScalarString(db, "PRAGMA journal_mode=WAL") != "wal")
                throw new IOException($"Outbox file {path}: SQLite could not switch it to WAL mode.");
            Execute(db, "PRAGMA synchronous=FULL; PRAGMA journal_size_limit=16777216");
            Execute(db, fresh
                ? $"""
                   BEGIN EXCLUSIVE;
                   CREATE TABLE outbox_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                   INSERT INTO outbox_meta VALUES ('schema_version', {SchemaVersion}), ('last_seq', 0);
                   CREATE TABLE outbox_messages(seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, topic TEXT NOT NULL,
                                                payload BLOB NOT NULL, qos INTEGER NOT NULL, created_at INTEGER NOT NULL);
                   COMMIT;
                   """
                : "BEGIN EXCLUSIVE; COMMIT;"); // takes the write lock now; exclusive mode keeps it until close
            try
            {
                return new OutboxStore(db, path, options);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SqliteError)
            {
                throw new OutboxCorruptException(path, $"its outbox tables do not have the expected columns ({e.Message})", e);
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
        {
            db.Dispose();
            throw new OutboxCorruptException(path, $"SQLite reports \"{e.Message}\"", e);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteBusy)
        {
            db.Dispose();
            throw new IOException($"Outbox file {path} is in use by another outbox (another agent process?): {e.Message}", e);
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new IOException($"Outbox file {path} could not be opened: SQLite error {e.SqliteErrorCode}: {e.Message}", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Inserts a batch and applies the limits in one durable transaction; sets each message's Seq or Rejected.</summary>
    public BatchResult Commit(ReadOnlySpan<PendingMessage> batch, long nowMs)
    {
        var s = _state;
        var r = new BatchResult();
        Begin(durable: true);
        try
        {
            r.DroppedForAge = Expire(ref s, nowMs);
            foreach (var m in batch)
            {
                if (!_dropOldest && (s.Depth >= _maxMessages || s.Bytes + m.Payload.Length > _maxBytes))
                {
                    m.Rejected = true;
                    r.Rejected++;
                    continue;
                }
                m.Seq = ++s.LastSeq;
                _seq.Value = m.Seq;
                _stream.Value = m.Stream;
                _topic.Value = m.Topic;
                _payload.Value = m.Payload;
                _qos.Value = m.Qos;
                _created.Value = m.CreatedMs;
                _insert.ExecuteNonQuery();
                if (s.Depth++ == 0) s.OldestMs = m.CreatedMs;
                s.Bytes += m.Payload.Length;
                r.Inserted++;
            }
            if (r.Inserted > 0)
            {
                _lastSeq.Value = s.LastSeq; // kept apart from the rows so Seq never goes back even when every row is deleted
                _setLastSeq.ExecuteNonQuery();
            }
            if (_dropOldest) r.DroppedForSize = DropForSize(ref s);
            _commit.ExecuteNonQuery();
        }
        catch
        {
            Rollback();
            throw;
        }
        _state = s;
        return r;
    }

    /// <summary>Deletes messages older than MaxAge in their own transaction; a no-op without a query when none is.</summary>
    public long Expire(long nowMs)
    {
        if (!HasExpired(_state, nowMs)) return 0;
        var s = _state;
        Begin(durable: true);
        long dropped;
        try
        {
            dropped = Expire(ref s, nowMs);
            _commit.ExecuteNonQuery();
        }
        catch
        {
            Rollback();
            throw;
        }
        _state = s;
        return dropped;
    }

    /// <summary>Deletes the given messages in one transaction; returns how many were there.</summary>
    public long Acknowledge(ReadOnlySpan<long> seqs)
    {
        var s = _state;
        long deleted = 0;
        Begin(durable: false); // a lost ack only means one more publish; the next enqueue's fsync makes it durable anyway
        try
        {
            foreach (long seq in seqs)
            {
                _ackSeq.Value = seq;
                using var r = _ack.ExecuteReader();
                if (!r.Read()) continue;
                s.Bytes -= r.GetInt64(0);
                deleted++;
            }
            if (deleted > 0)
            {
                s.Depth -= deleted;
                s.OldestMs = QueryOldest();
            }
            _commit.ExecuteNonQuery();
        }
        catch
        {
            Rollback();
            throw;
        }
        _state = s;
        return deleted;
    }

    public int ReadPending(long afterSeq, int max, List<OutboxMessage> into)
    {
        _after.Value = afterSeq;
        _max.Value = max;
        int n = 0;
        using var r = _read.ExecuteReader();
        for (; r.Read(); n++)
            into.Add(new OutboxMessage(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetFieldValue<byte[]>(3), r.GetInt32(4),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))));
        return n;
    }

    /// <summary>Caps the file at its current size so the next growth fails as a full disk does (tests cannot fill a real disk).</summary>
    internal void CapFileSize(bool capped)
    {
        long pages = capped ? ScalarLong("PRAGMA page_count") : uint.MaxValue - 1L;
        using var cmd = Command($"PRAGMA max_page_count = {pages}");
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _db.Dispose(); // disposes the prepared commands with it

    private long Expire(ref State s, long nowMs)
    {
        if (!HasExpired(s, nowMs)) return 0;
        long cutoff = nowMs - _maxAgeMs, through = 0, count = 0, bytes = 0;
        using (var r = _scanOldest.ExecuteReader())
            while (r.Read() && r.GetInt64(1) < cutoff) // oldest first, so expiry stops at the first young message
            {
                through = r.GetInt64(0);
                bytes += r.GetInt64(2);
                count++;
            }
        DeleteThrough(ref s, through, count, bytes);
        return count;
    }

    private bool HasExpired(State s, long nowMs) => s.Depth > 0 && s.OldestMs < nowMs - _maxAgeMs;

    private long DropForSize(ref State s)
    {
        long through = 0, count = 0, bytes = 0;
        if (s.Depth <= _maxMessages && s.Bytes <= _maxBytes) return 0;
        using (var r = _scanOldest.ExecuteReader())
            while ((s.Depth - count > _maxMessages || s.Bytes - bytes > _maxBytes) && r.Read())
            {
                through = r.GetInt64(0);
                bytes += r.GetInt64(2);
                count++;
            }
        DeleteThrough(ref s, through, count, bytes);
        return count;
    }

    private void DeleteThrough(ref State s, long through, long count, long bytes)
    {
        if (count == 0) return;
        _through.Value = through;
        _deleteThrough.ExecuteNonQuery();
        s.Depth -= count;
        s.Bytes -= bytes;
        s.OldestMs = QueryOldest();
    }

    private long QueryOldest()
    {
        using var r = _oldest.ExecuteReader();
        return r.Read() ? r.GetInt64(0) : long.MaxValue;
    }

    private void Begin(bool durable)
    {
        if (durable != _durable)
        {
            (durable ? _syncFull : _syncNormal).ExecuteNonQuery();
            _durable = durable;
        }
        _begin.ExecuteNonQuery();
    }

    private void Rollback()
    {
        try { _rollback.ExecuteNonQuery(); }
        catch (SqliteException) { } // SQLite already rolled back (full disk, I/O error); the caller reports the original error
    }

    private static void RefuseNonSqlite(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.Length == 0) return; // SQLite treats an empty file as a new database
        Span<byte> head = stackalloc byte[16];
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            head = head[..stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
        if (!head.SequenceEqual(SqliteHeader))
            throw new OutboxCorruptException(path, $"it does not start with the SQLite header (it is {file.Length} bytes of something else)");
    }

    private static List<string> Tables(SqliteConnection db)
    {
        var names = new List<string>();
        using var cmd = new SqliteCommand("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", db);
        using var r = cmd.ExecuteReader();
        while (r.Read()) names.Add(r.GetString(0));
        return names;
    }

    private static void CheckSchema(SqliteConnection db, string path, List<string> tables)
    {
        if (!tables.Contains("outbox_meta") || !tables.Contains("outbox_messages"))
            throw new OutboxCorruptException(path, $"it is an SQLite database of another kind (tables: {string.Join(", ", tables)})");
        using var cmd = new SqliteCommand("SELECT value FROM outbox_meta WHERE key = 'schema_version'", db);
        var version = cmd.ExecuteScalar();
        if (version is not long v)
            throw new OutboxCorruptException(path, "its outbox_meta table has no schema_version row");
        if (v != SchemaVersion)
            throw new OutboxCorruptException(path, $"its schema version is {v} and this agent reads version {SchemaVersion} (written by {(v > SchemaVersion ? "a newer" : "an unknown")} agent)");
    }

    private SqliteCommand Command(string sql) => new(sql, _db);

    private static SqliteParameter Param(SqliteCommand cmd, string name) => cmd.Parameters.Add(new SqliteParameter(name, 0L));

    private long ScalarLong(string sql)
    {
        using var cmd = Command(sql);
        return (long)cmd.ExecuteScalar()!;
    }

    private static string? ScalarString(SqliteConnection db, string sql)
    {
        using var cmd = new SqliteCommand(sql, db);
        return cmd.ExecuteScalar() as string;
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = new SqliteCommand(sql, db);
        cmd.ExecuteNonQuery();
    }
}
