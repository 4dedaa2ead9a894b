using System.Diagnostics;

namespace Edge.Agent.Devices.Linux;

/// <summary>
/// Runs scheduled GPIO actions (reject pulses, pulse ends) on one dedicated thread that sleeps until about
/// a millisecond before the due time and spins the rest, instead of on thread-pool timers whose callbacks
/// queue behind inference work: a reject actuator must fire on time while the detector has every core busy.
/// Actions run one at a time and must be short (set a line, record a time).
/// </summary>
internal sealed class GpioTimerThread
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000; // the last millisecond is spun
    private readonly PriorityQueue<Entry, long> _queue = new();
    private readonly Lock _lock = new();
    private readonly AutoResetEvent _changed = new(false);
    private Thread? _thread;

    public static GpioTimerThread Shared { get; } = new();

    /// <summary>Runs <paramref name="action"/> at Stopwatch timestamp <paramref name="dueTimestamp"/>; dispose the result to cancel.</summary>
    public IDisposable Schedule(long dueTimestamp, Action action)
    {
        var entry = new Entry(action);
        bool first;
        lock (_lock)
        {
            first = !_queue.TryPeek(out _, out long head) || dueTimestamp < head;
            _queue.Enqueue(entry, dueTimestamp);
            if (_thread is null)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = "gpio timers", Priority = ThreadPriority.Highest };
                _thread.Start();
            }
        }
        if (first) _changed.Set();
        return entry;
    }

    /// <summary>Actions waiting to run (cancelled ones included until their time comes).</summary>
    public int Pending
    {
        get { lock (_lock) return _queue.Count; }
    }

    private void Loop()
    {
        while (true)
        {
            Entry? due = null;
            long wait;
            lock (_lock)
            {
                if (_queue.TryPeek(out var head, out long at))
                {
                    wait = at - Stopwatch.GetTimestamp();
                    if (wait <= 0)
                    {
                        due = _queue.Dequeue();
                    }
                }
                else wait = -1;
            }
            if (due is not null)
            {
                if (!due.Cancelled)
                {
                    // An exception escaping this thread would end the process; report it instead.
                    try { due.Action(); }
                    catch (Exception e) { Trace.TraceError($"GPIO timer action failed: {e}"); }
                }
                continue;
            }
            if (wait < 0) _changed.WaitOne();
            else if (wait > SpinTicks) _changed.WaitOne(TimeSpan.FromSeconds((double)(wait - SpinTicks) / Stopwatch.Frequency));
            else Thread.SpinWait(20);
        }
    }

    private sealed class Entry(Action action) : IDisposable
    {
        public readonly Action Action = action;
        private volatile bool _cancelled;
        public bool Cancelled => _cancelled;
        public void Dispose() => _cancelled = true;
    }
}
