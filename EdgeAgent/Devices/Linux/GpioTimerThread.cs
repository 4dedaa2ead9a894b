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
    // Each arming is queued with the entry's generation then; re-arming or cancelling bumps the generation, so an
    // earlier arming left in the queue is skipped when its time comes (cancelled ones stay queued until then).
    private readonly PriorityQueue<(Entry Entry, long Generation), long> _queue = new();
    private readonly Lock _lock = new();
    private readonly AutoResetEvent _changed = new(false);
    private Thread? _thread;

    public static GpioTimerThread Shared { get; } = new();

    /// <summary>Runs <paramref name="action"/> at Stopwatch timestamp <paramref name="dueTimestamp"/>; dispose the result to cancel.</summary>
    public IDisposable Schedule(long dueTimestamp, Action action)
    {
        var entry = new Entry(this, action);
        entry.Arm(dueTimestamp);
        return entry;
    }

    /// <summary>An entry for <paramref name="action"/> that is armed (at Stopwatch timestamps) without allocating.</summary>
    public Entry CreateEntry(Action action) => new(this, action);

    /// <summary>Actions waiting to run (cancelled ones included until their time comes).</summary>
    public int Pending
    {
        get { lock (_lock) return _queue.Count; }
    }

    private void Enqueue(Entry entry, long dueTimestamp)
    {
        bool first;
        lock (_lock)
        {
            long generation = Interlocked.Increment(ref entry.Generation);
            first = !_queue.TryPeek(out _, out long head) || dueTimestamp < head;
            _queue.Enqueue((entry, generation), dueTimestamp);
            if (_thread is null)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = "gpio timers", Priority = ThreadPriority.Highest };
                _thread.Start();
            }
        }
        if (first) _changed.Set();
    }

    private void Loop()
    {
        while (true)
        {
            Entry? due = null;
            long generation = 0;
            bool taken = false;
            long wait;
            lock (_lock)
            {
                if (_queue.TryPeek(out _, out long at))
                {
                    wait = at - Stopwatch.GetTimestamp();
                    if (wait <= 0)
                    {
                        (due, generation) = _queue.Dequeue();
                        taken = true;
                    }
                }
                else wait = -1;
            }
            if (taken)
            {
                // Skipped when re-armed or cancelled since this arming was queued.
                if (Volatile.Read(ref due!.Generation) == generation)
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

    /// <summary>An action on the timer thread; armed again it moves, disposed (or cancelled) it does not run.</summary>
    internal sealed class Entry(GpioTimerThread owner, Action action) : IDisposable
    {
        public readonly Action Action = action;
        public long Generation;

        /// <summary>Runs the action at Stopwatch timestamp <paramref name="dueTimestamp"/>, replacing an earlier arming.</summary>
        public void Arm(long dueTimestamp) => owner.Enqueue(this, dueTimestamp);

        public void Cancel() => Interlocked.Increment(ref Generation);

        public void Dispose() => Cancel();
    }
}
