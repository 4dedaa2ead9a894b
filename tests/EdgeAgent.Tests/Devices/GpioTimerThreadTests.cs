using System.Collections.Concurrent;
using System.Diagnostics;
using Edge.Agent.Devices.Linux;

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
