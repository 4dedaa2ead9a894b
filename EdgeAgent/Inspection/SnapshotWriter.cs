using Edge.Models.Imaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Agent.Inspection;

/// <summary>
/// Writes snapshots off the inspection line's thread. The line hands over a frame with <see cref="TryEnqueue"/>: the
/// frame is copied into one of <see cref="Capacity"/> reused buffers and the file name is decided at once (so the
/// defect event can name it); one background thread encodes the JPEG, writes it and applies the
/// <see cref="SnapshotStore"/>'s retention. When <see cref="Capacity"/> snapshots are already waiting or being written,
/// the new one is dropped and counted (<see cref="SnapshotsDropped"/>): the line never waits for the disk. A failed
/// write (disk full, folder removed) is logged with its path and counted (<see cref="WriteErrors"/>). Dispose drains
/// what is queued, waiting at most <see cref="DrainTimeout"/>.
/// </summary>
public sealed partial class SnapshotWriter : IDisposable, IAsyncDisposable
{
    /// <summary>How long <see cref="Dispose"/> waits for queued snapshots to be written.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly SnapshotStore _store;
    private readonly ILogger _log;
    private readonly string _line;
    private readonly int _jpegQuality;
    private readonly object _lock = new(); // Monitor: the writer waits on it
    private readonly Queue<Queued> _queue;
    private readonly Stack<ImageBuffer> _free;
    private readonly Thread _thread;
    private int _pending; // queued + being written, under _lock
    private bool _stopping, _disposed, _inBurst;
    private long _written, _dropped, _errors, _burstDrops;

    /// <param name="capacity">Snapshots that may wait or be in writing at once (<see cref="InspectionOptions.SnapshotQueue"/>).</param>
    /// <param name="line">The line's name, for log lines.</param>
    public SnapshotWriter(SnapshotStore store, int capacity = 8, ILogger? logger = null, string line = "", int jpegQuality = 85)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(jpegQuality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jpegQuality, 100);
        _store = store;
        _log = logger ?? NullLogger.Instance;
        _line = line;
        _jpegQuality = jpegQuality;
        Capacity = capacity;
        _queue = new Queue<Queued>(capacity);
        _free = new Stack<ImageBuffer>(capacity);
        _thread = new Thread(WriteLoop) { IsBackground = true, Name = $"snapshots {line}", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    public SnapshotStore Store => _store;
    public int Capacity { get; }

    /// <summary>Snapshots written to disk.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Snapshots dropped because <see cref="Capacity"/> were already waiting.</summary>
    public long SnapshotsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Snapshots whose write failed (the event named a file that is not there).</summary>
    public long WriteErrors => Interlocked.Read(ref _errors);

    /// <summary>Snapshots waiting or being written.</summary>
    public int Pending
    {
        get { lock (_lock) return _pending; }
    }

    /// <summary>Raised on the caller's thread for each dropped snapshot.</summary>
    public event Action? Dropped;

    /// <summary>Raised on the writer's thread for each failed write, with the file's path.</summary>
    public event Action<string, Exception>? WriteFailed;

    /// <summary>Test hook: when set, the writer waits on it before each write (a test holds the disk "busy").</summary>
    internal ManualResetEventSlim? WriteGate { get; set; }

    /// <summary>
    /// Queues a snapshot of <paramref name="frame"/> (copied; the caller may reuse it at once) for part
    /// <paramref name="partId"/> taken at <paramref name="at"/>. Returns the file name relative to the store's folder,
    /// or null when the queue is full (the snapshot is dropped and counted) or the writer is stopping. Never blocks on the disk.
    /// </summary>
    public string? TryEnqueue(ImageBuffer frame, long partId, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Width <= 0 || frame.Height <= 0)
        {
            Interlocked.Increment(ref _errors);
            Log.WriteFailed(_log, _line, $"part {partId}", $"the frame is empty ({frame.Width}×{frame.Height})");
            return null;
        }
        ImageBuffer? buffer = null;
        long burst = 0;
        bool burstStarts = false;
        lock (_lock)
        {
            if (_stopping) return null;
            if (_pending >= Capacity)
            {
                Interlocked.Increment(ref _dropped);
                _burstDrops++;
                burstStarts = !_inBurst;
                _inBurst = true;
            }
            else
            {
                _pending++;
                if (_inBurst) (burst, _inBurst, _burstDrops) = (_burstDrops, false, 0);
                buffer = _free.Count > 0 ? _free.Pop() : new ImageBuffer();
            }
        }
        if (buffer is null)
        {
            if (burstStarts) Log.QueueFull(_log, _line, Capacity, partId);
            Dropped?.Invoke();
            return null;
        }
        if (burst > 0) Log.BurstOver(_log, _line, burst);
        Copy(frame, buffer);
        var name = SnapshotStore.NameFor(partId, at);
        lock (_lock)
        {
            _queue.Enqueue(new Queued(buffer, name, at));
            Monitor.PulseAll(_lock); // the writer, and anyone in WaitUntilIdle, wait on the same monitor
        }
        return name;
    }

    /// <summary>Waits until nothing is queued or being written; false when <paramref name="timeout"/> passed first.</summary>
    public bool WaitUntilIdle(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_pending > 0)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !_thread.IsAlive) return false;
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(Math.Min(left, 1000)));
            }
            return true;
        }
    }

    /// <summary>Stops taking snapshots and writes those queued, waiting at most <paramref name="timeout"/>; false when some were left unwritten.</summary>
    public bool Stop(TimeSpan timeout)
    {
        int left;
        lock (_lock)
        {
            if (!_stopping)
            {
                _stopping = true;
                Monitor.PulseAll(_lock);
            }
        }
        if (_thread.Join(timeout)) return true;
        lock (_lock) left = _pending;
        Log.DrainTimedOut(_log, _line, left, timeout.TotalSeconds);
        return false;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        Stop(DrainTimeout);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void WriteLoop()
    {
        while (true)
        {
            Queued item;
            lock (_lock)
            {
                // On stop, a snapshot reserved but still being copied (counted in _pending) is waited for too.
                while (_queue.Count == 0 && !(_stopping && _pending == 0)) Monitor.Wait(_lock);
                if (!_queue.TryDequeue(out item)) break; // stopping, and nothing left
            }
            WriteGate?.Wait();
            try
            {
                _store.Write(item.Name, item.Image, item.At, _jpegQuality);
                Interlocked.Increment(ref _written);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // An exception escaping this thread would end the process: a lost snapshot must not stop the line.
                Interlocked.Increment(ref _errors);
                var path = Path.Combine(_store.Folder, item.Name);
                Log.WriteFailed(_log, _line, path, e.Message);
                try { WriteFailed?.Invoke(path, e); }
                catch (Exception handler) when (handler is not OutOfMemoryException) { Log.WriteFailed(_log, _line, path, $"handler: {handler.Message}"); }
            }
            lock (_lock)
            {
                _free.Push(item.Image);
                _pending--;
                Monitor.PulseAll(_lock);
            }
        }
        lock (_lock)
        {
            while (_free.TryPop(out var image)) image.Dispose();
            Monitor.PulseAll(_lock);
        }
    }

    private static void Copy(ImageBuffer from, ImageBuffer to)
    {
        to.Reset(from.Width, from.Height, from.Format);
        if (from.Stride == to.Stride)
        {
            from.Data.CopyTo(to.Data);
            return;
        }
        for (int y = 0; y < from.Height; y++) from.Row(y).CopyTo(to.Row(y));
    }

    private readonly record struct Queued(ImageBuffer Image, string Name, DateTimeOffset At);

    private static partial class Log
    {
        [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "Inspection {Line}: snapshot queue full ({Capacity} waiting for the disk): dropping snapshots, from part {Part} on, until the writer catches up")]
        public static partial void QueueFull(ILogger logger, string line, int capacity, long part);

        [LoggerMessage(EventId = 411, Level = LogLevel.Information, Message = "Inspection {Line}: snapshot writer caught up; {Dropped} snapshots were dropped")]
        public static partial void BurstOver(ILogger logger, string line, long dropped);

        [LoggerMessage(EventId = 412, Level = LogLevel.Error, Message = "Inspection {Line}: snapshot {Path} not written: {Error}")]
        public static partial void WriteFailed(ILogger logger, string line, string path, string error);

        [LoggerMessage(EventId = 413, Level = LogLevel.Warning, Message = "Inspection {Line}: {Left} snapshots still unwritten after {Seconds} s at stop; they are lost")]
        public static partial void DrainTimedOut(ILogger logger, string line, int left, double seconds);
    }
}
