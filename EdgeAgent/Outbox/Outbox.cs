using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Agent.Outbox;

/// <summary>
/// Results committed to SQLite before they are published and deleted when the broker acknowledges them, so nothing is
/// lost across broker outages, reboots or a killed agent. Enqueues from any thread are grouped into one durable
/// transaction per <see cref="OutboxOptions.CommitInterval"/> or <see cref="OutboxOptions.MaxBatch"/> (group commit).
/// </summary>
public sealed partial class Outbox : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan AgeCheckPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan DropReportPeriod = TimeSpan.FromMinutes(1);

    private readonly OutboxOptions _options;
    private readonly OutboxStore _store;
    private readonly Lock _storeLock = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly Thread _writer;
    private readonly TaskCompletionSource _writerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Queue of accepted, uncommitted messages; Monitor-guarded because the writer waits on it.
    private readonly object _queueLock = new();
    private List<PendingMessage> _queue = [];
    private long _queuedSince;
    private bool _closing;

    // Under _storeLock.
    private bool _closed;
    private long _enqueued, _acknowledged, _droppedForSize, _droppedForAge, _rejected;

    // Writer thread only (and Close, after the writer has exited).
    private long _unreportedSize, _unreportedAge, _unreportedRejected;
    private DateTimeOffset? _lastDropReport;
    private int _failedCommits;

    private Outbox(OutboxOptions options, OutboxStore store, ILogger logger, TimeProvider clock)
    {
        _options = options;
        _store = store;
        _logger = logger;
        _clock = clock;
        _writer = new Thread(RunWriter) { IsBackground = true, Name = "outbox-writer" };
    }

    /// <summary>Raised on the writer thread after a commit adds messages; keep handlers short (signal a waiting publisher).</summary>
    public event Action? MessagesAvailable;

    /// <summary>
    /// Opens or creates the outbox file (WAL, synchronous=FULL, exclusive to this process) and deletes what has outlived
    /// <see cref="OutboxOptions.MaxAge"/>. A file that is not SQLite or holds another schema throws
    /// <see cref="OutboxCorruptException"/> and is never changed.
    /// </summary>
    /// <param name="clock">Time for CreatedAt and MaxAge; the system clock when null.</param>
    public static Outbox Open(OutboxOptions options, ILogger? logger = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        clock ??= TimeProvider.System;
        logger ??= NullLogger.Instance;
        var store = OutboxStore.Open(options);
        var outbox = new Outbox(options, store, logger, clock);
        try
        {
            outbox.ExpireAndReport();
        }
        catch
        {
            store.Dispose();
            throw;
        }
        var state = store.Current;
        Log.Opened(logger, store.Path, state.Depth, state.Bytes, state.LastSeq);
        outbox._writer.Start();
        return outbox;
    }

    /// <summary>
    /// Queues a message; the task completes with its Seq once it is committed to disk, or faults with the SQLite error
    /// (as <see cref="IOException"/>) or <see cref="OutboxFullException"/>. The payload is copied; the caller may reuse it.
    /// <paramref name="ct"/> is checked before the message is accepted; an accepted message is always committed.
    /// </summary>
    public ValueTask<long> EnqueueAsync(string stream, string topic, ReadOnlyMemory<byte> payload, int qos = 1, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        if (qos is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(qos), qos, "MQTT QoS is 0, 1 or 2.");
        if (payload.Length > _options.MaxBytes)
            throw new ArgumentException($"A payload of {payload.Length} bytes can never fit in OutboxOptions.MaxBytes ({_options.MaxBytes}).", nameof(payload));
        if (ct.IsCancellationRequested) return ValueTask.FromCanceled<long>(ct);

        var message = new PendingMessage(stream, topic, payload.ToArray(), qos);
        lock (_queueLock)
        {
            ObjectDisposedException.ThrowIf(_closing, this);
            message.CreatedMs = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (_queue.Count == 0) _queuedSince = Stopwatch.GetTimestamp();
            _queue.Add(message);
            if (_queue.Count == 1 || _queue.Count == _options.MaxBatch) Monitor.Pulse(_queueLock);
        }
        return new ValueTask<long>(message.Task);
    }

    /// <summary>Appends up to <paramref name="max"/> stored messages with Seq greater than <paramref name="afterSeq"/>, in Seq order; returns how many.</summary>
    public int ReadPending(long afterSeq, int max, List<OutboxMessage> into)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ArgumentNullException.ThrowIfNull(into);
        lock (_storeLock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            try
            {
                return _store.ReadPending(afterSeq, max, into);
            }
            catch (SqliteException e)
            {
                throw Failure("reading pending messages", e);
            }
        }
    }

    /// <summary>Deletes a published message; acknowledging one that is gone does nothing.</summary>
    public void Acknowledge(long seq) => Acknowledge(new ReadOnlySpan<long>(in seq));

    /// <summary>Deletes published messages in one transaction.</summary>
    public void Acknowledge(ReadOnlySpan<long> seqs)
    {
        if (seqs.IsEmpty) return;
        lock (_storeLock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            try
            {
                _acknowledged += _store.Acknowledge(seqs);
            }
            catch (SqliteException e)
            {
                throw Failure("acknowledging", e);
            }
        }
    }

    public OutboxStats Stats
    {
        get
        {
            lock (_storeLock) // held only for a copy; commits hold it for their transaction too, so this may wait one fsync
            {
                var s = _store.Current;
                var age = s.Depth == 0 ? TimeSpan.Zero : _clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(s.OldestMs);
                return new OutboxStats(s.Depth, s.Bytes, age < TimeSpan.Zero ? TimeSpan.Zero : age,
                    _enqueued, _acknowledged, _droppedForSize, _droppedForAge, _rejected);
            }
        }
    }

    /// <summary>Commits what is queued (those tasks complete), then closes the file.</summary>
    public void Dispose()
    {
        if (!BeginClose()) return;
        _writer.Join();
        Close();
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (!BeginClose()) return;
        await _writerExited.Task.ConfigureAwait(false);
        Close();
    }

    /// <summary>Makes the file refuse to grow, as a full disk does; the next commit that needs space fails.</summary>
    internal void SimulateFullDisk(bool full)
    {
        lock (_storeLock) _store.CapFileSize(full);
    }

    private bool BeginClose()
    {
        if (Thread.CurrentThread == _writer) // the writer cannot wait for itself to finish
            throw new InvalidOperationException("The outbox cannot be disposed from a MessagesAvailable handler; signal another thread to do it.");
        lock (_queueLock)
        {
            if (_closing) return false;
            _closing = true;
            Monitor.PulseAll(_queueLock);
            return true;
        }
    }

    private void Close()
    {
        ReportDrops(force: true);
        lock (_storeLock)
        {
            _closed = true;
            _store.Dispose();
        }
    }

    private void RunWriter()
    {
        long lastAgeCheck = Stopwatch.GetTimestamp();
        var batch = new List<PendingMessage>();
        while (true)
        {
            bool closing;
            lock (_queueLock)
            {
                while (_queue.Count == 0 && !_closing)
                {
                    var idle = AgeCheckPeriod - Stopwatch.GetElapsedTime(lastAgeCheck);
                    if (idle <= TimeSpan.Zero || !Monitor.Wait(_queueLock, idle)) break;
                }
                while (_queue.Count > 0 && _queue.Count < _options.MaxBatch && !_closing)
                {
                    // Group commit: the window opened when the oldest queued message arrived.
                    var left = _options.CommitInterval - Stopwatch.GetElapsedTime(_queuedSince);
                    if (left <= TimeSpan.Zero || !Monitor.Wait(_queueLock, left)) break;
                }
                (batch, _queue) = (_queue, batch);
                closing = _closing;
            }

            int count = batch.Count;
            for (int i = 0; i < count; i += _options.MaxBatch)
                Commit(CollectionsMarshal.AsSpan(batch).Slice(i, Math.Min(_options.MaxBatch, count - i)));
            batch.Clear();
            if (batch.Capacity > 4 * _options.MaxBatch) batch.Capacity = _options.MaxBatch; // give back a burst's memory
            if (count == 0 && closing) break;
            if (Stopwatch.GetElapsedTime(lastAgeCheck) >= AgeCheckPeriod)
            {
                lastAgeCheck = Stopwatch.GetTimestamp();
                try
                {
                    ExpireAndReport();
                }
                catch (Exception e)
                {
                    Log.ExpiryFailed(_logger, _store.Path, e.Message, e);
                }
            }
        }
        _writerExited.TrySetResult();
    }

    private void Commit(ReadOnlySpan<PendingMessage> batch)
    {
        OutboxStore.BatchResult r;
        OutboxStore.State state;
        try
        {
            lock (_storeLock)
            {
                r = _store.Commit(batch, _clock.GetUtcNow().ToUnixTimeMilliseconds());
                state = _store.Current;
                _enqueued += r.Inserted;
                _rejected += r.Rejected;
                _droppedForSize += r.DroppedForSize;
                _droppedForAge += r.DroppedForAge;
            }
        }
        catch (Exception e)
        {
            var error = e is SqliteException sqlite ? Failure($"committing {batch.Length} message(s)", sqlite) : e;
            foreach (var m in batch) m.TrySetException(error);
            if (_failedCommits++ == 0) Log.CommitFailed(_logger, _store.Path, e.Message, e);
            return;
        }
        if (_failedCommits > 0)
        {
            Log.CommitsRecovered(_logger, _store.Path, _failedCommits);
            _failedCommits = 0;
        }

        var full = r.Rejected == 0 ? null : new OutboxFullException(
            $"Outbox {_store.Path} is full ({state.Depth} messages, {state.Bytes} payload bytes; limits {_options.MaxMessages} messages, " +
            $"{_options.MaxBytes} bytes) and OutboxOptions.Overflow is RejectNew: the message was not stored.");
        // Drops are reported before the producers' tasks complete, so whoever awaited the commit sees them logged.
        _unreportedSize += r.DroppedForSize;
        _unreportedAge += r.DroppedForAge;
        _unreportedRejected += r.Rejected;
        ReportDrops(force: false);
        foreach (var m in batch)
        {
            if (m.Rejected) m.TrySetException(full!);
            else m.TrySetResult(m.Seq);
        }
        if (r.Inserted > 0) RaiseMessagesAvailable();
    }

    private void ExpireAndReport()
    {
        lock (_storeLock)
        {
            long expired = _store.Expire(_clock.GetUtcNow().ToUnixTimeMilliseconds());
            _droppedForAge += expired;
            _unreportedAge += expired;
        }
        ReportDrops(force: false);
    }

    /// <summary>Logs drops as one warning with counts: the first at once, then at most one per minute.</summary>
    private void ReportDrops(bool force)
    {
        if (_unreportedSize + _unreportedAge + _unreportedRejected == 0) return;
        var now = _clock.GetUtcNow();
        if (!force && now - _lastDropReport < DropReportPeriod) return;
        OutboxStore.State state;
        lock (_storeLock) state = _store.Current;
        Log.Dropped(_logger, _store.Path, _unreportedSize, _options.MaxMessages, _options.MaxBytes, _unreportedAge, _options.MaxAge,
            _unreportedRejected, state.Depth);
        _lastDropReport = now;
        _unreportedSize = _unreportedAge = _unreportedRejected = 0;
    }

    private void RaiseMessagesAvailable()
    {
        try
        {
            MessagesAvailable?.Invoke();
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, _store.Path, e.Message, e); // a subscriber's bug must not stop commits
        }
    }

    private IOException Failure(string what, SqliteException e) =>
        new($"Outbox {_store.Path}: {what} failed: SQLite error {e.SqliteErrorCode} ({e.SqliteExtendedErrorCode}): {e.Message}", e);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Outbox {Path} opened: {Depth} message(s), {Bytes} payload bytes waiting; last seq {LastSeq}")]
        public static partial void Opened(ILogger logger, string path, long depth, long bytes, long lastSeq);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
            Message = "Outbox {Path} dropped {ForSize} oldest message(s) over the limits ({MaxMessages} messages, {MaxBytes} bytes), " +
                      "{ForAge} older than {MaxAge}, and rejected {Rejected} new one(s) since the last report; {Depth} waiting")]
        public static partial void Dropped(ILogger logger, string path, long forSize, long maxMessages, long maxBytes, long forAge, TimeSpan maxAge,
            long rejected, long depth);

        [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Outbox {Path}: commit failed, its enqueues faulted; later batches keep trying: {Reason}")]
        public static partial void CommitFailed(ILogger logger, string path, string reason, Exception exception);

        [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Outbox {Path}: commits work again after {Failed} failed batch(es)")]
        public static partial void CommitsRecovered(ILogger logger, string path, int failed);

        [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Outbox {Path}: deleting expired messages failed: {Reason}")]
        public static partial void ExpiryFailed(ILogger logger, string path, string reason, Exception exception);

        [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "Outbox {Path}: a MessagesAvailable handler threw: {Reason}")]
        public static partial void HandlerFailed(ILogger logger, string path, string reason, Exception exception);
    }
}

/// <summary>An accepted message and the task its enqueuer awaits.</summary>
internal sealed class PendingMessage(string stream, string topic, byte[] payload, int qos)
    : TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously) // never run an awaiter on the writer thread
{
    public string Stream { get; } = stream;
    public string Topic { get; } = topic;
    public byte[] Payload { get; } = payload;
    public int Qos { get; } = qos;
    public long CreatedMs { get; set; }
    public long Seq { get; set; }
    public bool Rejected { get; set; }
}
