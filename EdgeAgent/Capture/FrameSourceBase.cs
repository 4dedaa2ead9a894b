using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Capture;

/// <summary>
/// What every source shares: the latest-frame queue, the frame pool, health, trigger mode and one
/// capture thread that <see cref="Run"/> occupies until the source ends, fails or is disposed.
/// </summary>
internal abstract partial class FrameSourceBase : IFrameSource
{
    private readonly Channel<Frame> _channel;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly object _signal = new();
    private bool _signalled;
    private Thread? _thread;
    private Task? _disposal;
    private volatile bool _stopping;

    private SourceState _state = SourceState.Starting;
    private string? _reason;
    private int _restarts;
    private long _frames, _dropped, _sequence, _lastFrameTicks, _captureThreadAllocated;
    private int _triggerPending;

    protected FrameSourceBase(string name, SourceOptions options, bool triggered, ILogger logger, int queueCapacity, CaptureTimings timings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        Name = name;
        Options = options;
        Triggered = triggered;
        Logger = logger;
        Timings = timings;
        QueueCapacity = queueCapacity;
        // Frames out at once: the queue, one being filled, and a few held by the consumer.
        Pool = new FramePool(queueCapacity + 4, Signal);
        _channel = Channel.CreateBounded(
            new BoundedChannelOptions(queueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
            (Action<Frame>)OnDropped);
    }

    public string Name { get; }
    protected SourceOptions Options { get; }
    protected bool Triggered { get; }
    protected ILogger Logger { get; }
    protected CaptureTimings Timings { get; }
    protected int QueueCapacity { get; }
    protected FramePool Pool { get; }
    protected bool Stopping => _stopping;

    public ChannelReader<Frame> Frames => _channel.Reader;

    public SourceHealth Health
    {
        get
        {
            long ticks = Interlocked.Read(ref _lastFrameTicks);
            lock (_lock)
                return new SourceHealth(_state, _reason, _restarts, Interlocked.Read(ref _frames), Interlocked.Read(ref _dropped),
                    ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero));
        }
    }

    /// <summary>Raised on the capture thread for every captured frame and every health change; tests wait on it.</summary>
    internal event Action? Progress;

    /// <summary>Managed bytes the capture thread had allocated when it counted its latest frame (allocation budget checks).</summary>
    internal long CaptureThreadAllocatedBytes => Volatile.Read(ref _captureThreadAllocated);
    /// <summary>Frames the pool has created so far, and how many idle ones it keeps (tests: growth is bounded).</summary>
    internal (long Created, int Retain) PoolGrowth => (Pool.Created, Pool.Retain);

    /// <summary>Frames captured so far, delivered or not.</summary>
    internal long Captured => Interlocked.Read(ref _sequence);

    public Task StartAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposal is not null, this);
            if (_thread is null)
            {
                _thread = new Thread(CaptureThread) { IsBackground = true, Name = $"capture {Name}" };
                _thread.Start();
            }
        }
        return _started.Task.WaitAsync(ct);
    }

    public void Trigger()
    {
        Volatile.Write(ref _triggerPending, 1);
        Signal();
    }

    /// <summary>Captures until the source ends, fails or <see cref="Stopping"/>; runs on the capture thread.</summary>
    protected abstract void Run();

    private void CaptureThread()
    {
        try
        {
            Run();
        }
        catch (Exception e)
        {
            Fail($"capture stopped: {e.Message}");
            Log.Crashed(Logger, Name, e);
        }
        finally
        {
            _started.TrySetResult();
            _channel.Writer.TryComplete();
            _exited.TrySetResult();
        }
    }

    /// <summary>Lets <see cref="StartAsync"/> return: the first attempt is under way (or has failed).</summary>
    protected void MarkStarted() => _started.TrySetResult();

    /// <summary>Counts a captured frame (delivered or not) and returns its sequence number.</summary>
    protected long CountCaptured(DateTimeOffset at)
    {
        Volatile.Write(ref _captureThreadAllocated, GC.GetAllocatedBytesForCurrentThread());
        Interlocked.Exchange(ref _lastFrameTicks, at.UtcTicks);
        long sequence = Interlocked.Increment(ref _sequence);
        Progress?.Invoke();
        return sequence;
    }

    /// <summary>In trigger mode, whether a Trigger() is waiting for a frame; otherwise always true.</summary>
    protected bool Wanted => !Triggered || Volatile.Read(ref _triggerPending) == 1;

    /// <summary>Consumes the pending trigger for the frame about to be delivered.</summary>
    protected bool TakeTrigger() => !Triggered || Interlocked.Exchange(ref _triggerPending, 0) == 1;

    protected void Deliver(Frame frame)
    {
        // Counted before the write: a reader may take the frame at once, and must then see it counted.
        Interlocked.Increment(ref _frames);
        if (!_channel.Writer.TryWrite(frame))
        {
            Interlocked.Decrement(ref _frames);
            frame.Dispose();
        }
        Progress?.Invoke();
    }

    protected int Queued => _channel.Reader.Count;

    /// <summary>Lets observers (tests, health) re-check the source after a change only the subclass sees.</summary>
    protected void RaiseProgress() => Progress?.Invoke();

    private void OnDropped(Frame frame)
    {
        Interlocked.Increment(ref _dropped);
        frame.Dispose();
    }

    protected void CountDropped() => Interlocked.Increment(ref _dropped);

    protected void SetRunning()
    {
        if (_state == SourceState.Running) return;   // only the capture thread writes the state
        SetState(SourceState.Running, null);
        Log.Running(Logger, Name);
    }

    protected void SetRetrying(string reason, TimeSpan delay)
    {
        SetState(SourceState.Retrying, reason);
        Log.Retrying(Logger, Name, reason, delay.TotalSeconds);
    }

    protected void CountRestart()
    {
        lock (_lock) _restarts++;
        Progress?.Invoke();
    }

    protected void End(string reason)
    {
        SetState(SourceState.Ended, reason);
        Log.Ended(Logger, Name, reason);
        _channel.Writer.TryComplete();
    }

    protected void Fail(string reason)
    {
        SetState(SourceState.Failed, reason);
        Log.Failed(Logger, Name, reason);
        _channel.Writer.TryComplete();
    }

    private void SetState(SourceState state, string? reason)
    {
        lock (_lock)
        {
            _state = state;
            _reason = reason;
        }
        Progress?.Invoke();
    }

    /// <summary>Wakes the capture thread (stop, trigger, a frame back in the pool).</summary>
    protected void Signal()
    {
        lock (_signal)
        {
            _signalled = true;
            Monitor.Pulse(_signal);
        }
    }

    /// <summary>Waits for a <see cref="Signal"/> or the timeout; false once stopping.</summary>
    protected bool WaitForSignal(TimeSpan timeout)
    {
        lock (_signal)
        {
            if (!_signalled && !_stopping) Monitor.Wait(_signal, timeout);
            _signalled = false;
        }
        return !_stopping;
    }

    /// <summary>Waits the whole <paramref name="delay"/> unless stopped; false once stopping.</summary>
    protected bool Delay(TimeSpan delay)
    {
        long deadline = Environment.TickCount64 + (long)delay.TotalMilliseconds;
        for (long left; !_stopping && (left = deadline - Environment.TickCount64) > 0;)
            WaitForSignal(TimeSpan.FromMilliseconds(left));
        return !_stopping;
    }

    public ValueTask DisposeAsync()
    {
        lock (_lock) _disposal ??= DisposeCoreAsync();
        return new ValueTask(_disposal);
    }

    private async Task DisposeCoreAsync()
    {
        Thread? thread;
        lock (_lock) thread = _thread;
        _stopping = true;
        Signal();
        if (thread is not null)
        {
            await _exited.Task.ConfigureAwait(false);
            thread.Join();
        }
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var frame)) frame.Dispose();
        Pool.Close();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Source {Source}: frames arriving")]
        public static partial void Running(ILogger logger, string source);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Source {Source}: {Reason}; retrying in {Seconds:0.0} s")]
        public static partial void Retrying(ILogger logger, string source, string reason, double seconds);

        [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Source {Source} ended: {Reason}")]
        public static partial void Ended(ILogger logger, string source, string reason);

        [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Source {Source} failed: {Reason}")]
        public static partial void Failed(ILogger logger, string source, string reason);

        [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Source {Source}: capture thread crashed")]
        public static partial void Crashed(ILogger logger, string source, Exception exception);
    }
}
