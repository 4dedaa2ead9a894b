using Microsoft.Extensions.Logging;

namespace Edge.Agent.Tests.Outbox;

using Edge.Agent.Outbox;

/// <summary>A temporary folder for outbox files, removed afterwards.</summary>
public sealed class OutboxFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("edge-outbox-test-").FullName;

    public string File(string name = "outbox.db") => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A clock that moves only when told to.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}

/// <summary>Keeps what was logged so a test can read it.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add((logLevel, formatter(state, exception)));
    }

    public List<string> At(LogLevel level)
    {
        lock (_entries) return _entries.Where(e => e.Level == level).Select(e => e.Message).ToList();
    }
}

internal static class OutboxTesting
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Every stored message, in Seq order, read in pages as a publisher would.</summary>
    public static List<OutboxMessage> ReadAll(Outbox outbox)
    {
        var all = new List<OutboxMessage>();
        while (outbox.ReadPending(all.Count == 0 ? 0 : all[^1].Seq, 1000, all) > 0) { }
        return all;
    }

    /// <summary>Waits for a task, failing with what was awaited instead of hanging the run.</summary>
    public static async Task<T> Within<T>(this Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Gave up after {Patience.TotalSeconds} s waiting for {what}.");
        }
    }

    public static Task<long> Within(this ValueTask<long> task, string what) => task.AsTask().Within(what);

    public static byte[] Bytes(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();
}
