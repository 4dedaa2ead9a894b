using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Edge.Agent.Tests.Outbox;

using Edge.Agent.Outbox;
using static OutboxTesting;

public sealed class OutboxFileTests : IDisposable
{
    private readonly OutboxFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Open_creates_the_missing_folder_and_the_file()
    {
        string path = Path.Combine(_folder.Path, "var", "lib", "edge", "outbox.db");
        using var outbox = Outbox.Open(new OutboxOptions { Path = path });
        await outbox.EnqueueAsync("s", "t", new byte[1]);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void A_file_of_random_bytes_is_refused_with_OutboxCorruptException_naming_it_and_left_untouched()
    {
        string path = _folder.File();
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(64 * 1024));
        var before = SHA256.HashData(File.ReadAllBytes(path));

        var e = Assert.Throws<OutboxCorruptException>(() => Outbox.Open(new OutboxOptions { Path = path }));

        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("Fix:", e.Message);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
        Assert.Equal(["outbox.db"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_truncated_SQLite_file_is_refused_with_OutboxCorruptException()
    {
        string path = _folder.File();
        File.WriteAllBytes(path, [.. "SQLite format 3\0"u8, .. RandomNumberGenerator.GetBytes(4000)]);
        var e = Assert.Throws<OutboxCorruptException>(() => Outbox.Open(new OutboxOptions { Path = path }));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_foreign_SQLite_database_is_refused_with_OutboxCorruptException_and_left_untouched()
    {
        string path = _folder.File("inventory.db");
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var cmd = new SqliteCommand("CREATE TABLE parts(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO parts(name) VALUES ('bolt')", db);
            cmd.ExecuteNonQuery();
        }
        var before = SHA256.HashData(File.ReadAllBytes(path));

        var e = Assert.Throws<OutboxCorruptException>(() => Outbox.Open(new OutboxOptions { Path = path }));

        Assert.Contains(path, e.Message);
        Assert.Contains("parts", e.Message);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
    }

    [Fact]
    public void An_outbox_written_by_a_newer_schema_is_refused()
    {
        string path = _folder.File();
        Outbox.Open(new OutboxOptions { Path = path }).Dispose();
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var cmd = new SqliteCommand("UPDATE outbox_meta SET value = 2 WHERE key = 'schema_version'", db);
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<OutboxCorruptException>(() => Outbox.Open(new OutboxOptions { Path = path }));
        Assert.Contains("schema version is 2", e.Message);
    }

    [Fact]
    public void Outbox_tables_without_the_expected_columns_are_refused()
    {
        string path = _folder.File();
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var cmd = new SqliteCommand(
                "CREATE TABLE outbox_meta(key TEXT PRIMARY KEY, value INTEGER); INSERT INTO outbox_meta VALUES ('schema_version', 1), ('last_seq', 0);" +
                "CREATE TABLE outbox_messages(id INTEGER PRIMARY KEY, body BLOB)", db);
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<OutboxCorruptException>(() => Outbox.Open(new OutboxOptions { Path = path }));
        Assert.Contains("expected columns", e.Message);
    }

    [Fact]
    public void A_second_outbox_on_the_same_file_is_refused_while_the_first_is_open()
    {
        string path = _folder.File();
        using var first = Outbox.Open(new OutboxOptions { Path = path });
        var e = Assert.Throws<IOException>(() => Outbox.Open(new OutboxOptions { Path = path }));
        Assert.Contains(path, e.Message);
        Assert.Contains("in use", e.Message);
    }

    [Fact]
    public async Task A_failed_commit_faults_its_batch_with_the_SQLite_error_and_the_outbox_recovers()
    {
        string path = _folder.File();
        var log = new ListLogger();
        using var outbox = Outbox.Open(new OutboxOptions { Path = path }, log);
        long before = await outbox.EnqueueAsync("s", "t", new byte[10]);

        outbox.SimulateFullDisk(true);
        var failed = await Assert.ThrowsAsync<IOException>(() => outbox.EnqueueAsync("s", "t", new byte[1 << 20]).AsTask());
        Assert.Contains(path, failed.Message);
        Assert.Equal(13, Assert.IsType<SqliteException>(failed.InnerException).SqliteErrorCode); // SQLITE_FULL
        await Assert.ThrowsAsync<IOException>(() => outbox.EnqueueAsync("s", "t", new byte[1 << 20]).AsTask());

        outbox.SimulateFullDisk(false);
        long after = await outbox.EnqueueAsync("s", "t", new byte[1 << 20]).Within("a commit after the disk has room again");

        Assert.Equal([before, after], ReadAll(outbox).Select(m => m.Seq));
        Assert.Equal(before + 1, after); // the failed batches used no Seq
        Assert.Equal((2, 10 + (1 << 20)), (outbox.Stats.Depth, outbox.Stats.Bytes));
        Assert.Single(log.At(Microsoft.Extensions.Logging.LogLevel.Error)); // one error for the failing streak, not one per batch
    }
}
