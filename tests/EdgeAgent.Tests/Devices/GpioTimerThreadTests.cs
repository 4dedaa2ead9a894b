using System.Collections.Concurrent;
using System.Diagnostics;
using Edge.Agent.Devices.Linux;
using Edge.Models.Tests.Support;

namespace Edge.Agent.Tests.Devices;

public class GpioTimerThreadTests
{
    [Fact]
    public async Task Scheduled_actions_run_in_due_order_never_early_and_a_cancelled_one_never_runs()
    {
        var clock = MonotonicGpioClock.Monotonic;
        var fired = new ConcurrentQueue<(int Id, long AtNs, long DueNs)>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Far enough ahead that all five are queued before the first is due, even on a loaded machine.
        long start = clock.NowNs + 500_000_000L;
        // Scheduled out of order; the fourth is cancelled before its time.
        int[] offsetsMs = [40, 10, 30, 20, 5];
        var handles = new List<IDisposable>();
        for (int i = 0; i < offsetsMs.Length; i++)
        {
            int id = i;
            long due = start + offsetsMs[i] * 1_000_000L;
            handles.Add(clock.Schedule(due, () =>
            {
                fired.Enqueue((id, clock.NowNs, due));
                if (fired.Count == offsetsMs.Length - 1) all.TrySetResult();
            }));
        }
        handles[3].Dispose();

        await all.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var order = fired.ToArray();
        Assert.Equal([4, 1, 2, 0], order.Select(f => f.Id));
        Assert.All(order, f => Assert.True(f.AtNs >= f.DueNs, $"action {f.Id} ran {(f.DueNs - f.AtNs) / 1e6:0.###} ms early"));
        Assert.DoesNotContain(fired, f => f.Id == 3);
    }

    [Fact]
    public async Task A_timer_runs_once_per_arming_at_its_latest_time_and_not_after_it_is_cancelled()
    {
        var clock = MonotonicGpioClock.Monotonic;
        var runs = new ConcurrentQueue<long>();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = clock.CreateTimer(() =>
        {
            runs.Enqueue(clock.NowNs);
            if (runs.Count == 2) second.TrySetResult();
        });
        var cancelledRan = false;
        using var cancelled = clock.CreateTimer(() => cancelledRan = true);
        var markerRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var marker = clock.CreateTimer(() => markerRan.TrySetResult());

        // Armed, then moved later before its first time: it must run once, at the later time.
        long start = clock.NowNs;
        timer.Arm(start + 300_000_000L);
        long moved = start + 400_000_000L;
        timer.Arm(moved);
        // Armed and cancelled: must not run, though its queue entry comes due before the marker's.
        cancelled.Arm(start + 350_000_000L);
        cancelled.Cancel();
        marker.Arm(moved + 50_000_000L);
        await markerRan.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(cancelledRan, "a cancelled timer ran");
        Assert.Single(runs);
        Assert.True(runs.First() >= moved, $"ran {(moved - runs.First()) / 1e6:0.###} ms before its moved time");

        // Armed again after it ran: runs again.
        timer.Arm(clock.NowNs + 1_000_000L);
        await second.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, runs.Count);
    }

    [Fact]
    public void Arming_and_cancelling_a_timer_allocates_nothing()
    {
        var clock = MonotonicGpioClock.Monotonic;
        using var timer = clock.CreateTimer(() => { });
        long far = clock.NowNs + 3_600_000_000_000L; // an hour ahead: armed, never due in this test
        // Each arming leaves an entry queued until its time; the queue's growth is amortised, and the quietest window shows it.
        var sample = Allocations.SteadyState(() => { timer.Arm(far); timer.Cancel(); }, warmUp: 64, windows: 5, callsPerWindow: 8);
        Assert.True(sample.Bytes == 0, $"arming allocated: {sample}");
    }

    [Fact]
    public async Task An_action_that_throws_does_not_stop_later_actions()
    {
        var clock = MonotonicGpioClock.Monotonic;
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long now = clock.NowNs;
        clock.Schedule(now + 1_000_000, () => throw new InvalidOperationException("a broken action"));
        clock.Schedule(now + 2_000_000, () => ran.TrySetResult());
        await ran.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(Stopwatch.IsHighResolution);
    }
}
