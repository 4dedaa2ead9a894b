using System.Diagnostics;
using Edge.Agent.Interop.Linux;

namespace Edge.Agent.Devices.Linux;

/// <summary>
/// <see cref="IGpioClock"/> on real time: short waits spin (a 10 µs trigger pulse cannot sleep), long ones sleep
/// then spin the last millisecond; scheduled actions run on one dedicated timer thread that does the same. <see cref="For"/> gives drivers a clock for any chip.
/// </summary>
public sealed class MonotonicGpioClock : IGpioClock
{
    private const long SpinBelowNs = 2_000_000;
    private readonly Func<long> _now;

    /// <summary>Waits and timers measured with <paramref name="now"/> (nanoseconds that advance in real time).</summary>
    public MonotonicGpioClock(Func<long> now) => _now = now;

    /// <summary>CLOCK_MONOTONIC, the kernel's edge-event clock.</summary>
    public static MonotonicGpioClock Monotonic { get; } = new(LinuxDeviceFile.MonotonicNowNs);

    /// <summary>The chip's own clock when it has one (the simulator, <see cref="LinuxGpioChip"/>); otherwise real time from its NowNs.</summary>
    public static IGpioClock For(IGpioChip chip) => chip as IGpioClock ?? new MonotonicGpioClock(() => chip.NowNs);

    public long NowNs => _now();

    public void WaitUntil(long ns)
    {
        // Measure the wait on Stopwatch so a chip whose NowNs does not advance cannot hang us.
        long remaining = ns - _now();
        if (remaining <= 0) return;
        long end = Stopwatch.GetTimestamp() + (long)(remaining * (Stopwatch.Frequency / 1e9));
        if (remaining > SpinBelowNs) Thread.Sleep(TimeSpan.FromTicks((remaining - SpinBelowNs / 2) / 100));
        var spinner = new SpinWait();
        while (Stopwatch.GetTimestamp() < end) spinner.SpinOnce(sleep1Threshold: -1);
    }

    public IDisposable Schedule(long atNs, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return GpioTimerThread.Shared.Schedule(DueTimestamp(atNs), action);
    }

    /// <summary>A timer on the shared timer thread; arming it allocates nothing.</summary>
    public GpioTimer CreateTimer(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return new Timer(this, GpioTimerThread.Shared.CreateEntry(action));
    }

    private long DueTimestamp(long atNs)
    {
        long dueNs = Math.Max(0, atNs - _now());
        return Stopwatch.GetTimestamp() + (long)(dueNs * (Stopwatch.Frequency / 1e9));
    }

    private sealed class Timer(MonotonicGpioClock clock, GpioTimerThread.Entry entry) : GpioTimer
    {
        public override void Arm(long atNs) => entry.Arm(clock.DueTimestamp(atNs));
        public override void Cancel() => entry.Cancel();
    }
}
