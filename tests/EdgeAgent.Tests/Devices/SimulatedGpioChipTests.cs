using Edge.Agent.Devices;
using Edge.Agent.Devices.Simulation;
using Edge.Models.Tests.Support;

namespace Edge.Agent.Tests.Devices;

public class SimulatedGpioChipTests
{
    private const long Us = 1_000, Ms = 1_000_000;
    private static readonly GpioInputOptions BothEdges = new() { Edges = GpioEdges.Both };

    [Fact]
    public void Scripted_levels_become_edges_stamped_with_the_virtual_time()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        using var input = chip.RequestInput(5, BothEdges, "test");
        chip.ScriptInput(5, (t0 + 100 * Us, true), (t0 + 300 * Us, false));

        Assert.True(input.TryReadEdge(TimeSpan.FromMilliseconds(1), out var rise));
        Assert.Equal(new GpioEdgeEvent(5, GpioEdges.Rising, t0 + 100 * Us, 1), rise);
        Assert.Equal(t0 + 100 * Us, chip.NowNs);
        Assert.True(input.Read());
        Assert.True(input.TryReadEdge(TimeSpan.FromMilliseconds(1), out var fall));
        Assert.Equal(new GpioEdgeEvent(5, GpioEdges.Falling, t0 + 300 * Us, 2), fall);
    }

    [Fact]
    public void A_failed_input_throws_on_every_read_like_an_unplugged_chip_until_the_failure_is_cleared()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        using var input = chip.RequestInput(5, BothEdges, "test");
        chip.ScriptInput(5, (t0 + 100 * Us, true));
        chip.FailInput(5);

        var e = Assert.Throws<DeviceException>(() => input.TryReadEdge(TimeSpan.FromMilliseconds(1), out _));
        Assert.Equal("gpio-sim line 5: read gpio_v2_line_event failed: No such device (errno 19)", e.Message);
        Assert.Contains("No such device (errno 19)", Assert.Throws<DeviceException>(() => input.Read()).Message);
        Assert.Equal(t0, chip.NowNs); // a failed read does not move the clock

        chip.FailInput(5, failed: false);
        Assert.True(input.TryReadEdge(TimeSpan.FromMilliseconds(1), out var rise));
        Assert.Equal(t0 + 100 * Us, rise.TimestampNs);
        Assert.True(input.Read());
    }

    [Fact]
    public void Waiting_past_the_last_change_advances_the_clock_by_the_timeout_and_returns_false()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        using var input = chip.RequestInput(5, BothEdges, "test");
        chip.ScriptInput(5, (t0 + 5 * Ms, true));

        Assert.False(input.TryReadEdge(TimeSpan.FromMilliseconds(2), out _));
        Assert.Equal(t0 + 2 * Ms, chip.NowNs);
        Assert.True(input.TryReadEdge(TimeSpan.FromMilliseconds(10), out var edge));
        Assert.Equal(t0 + 5 * Ms, edge.TimestampNs);
    }

    [Fact]
    public void Only_the_requested_edges_are_reported()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        using var input = chip.RequestInput(3, new GpioInputOptions { Edges = GpioEdges.Falling }, "test");
        chip.ScriptPulse(3, t0 + 10 * Us, 20 * Us);
        chip.ScriptPulse(3, t0 + 50 * Us, 20 * Us);

        Assert.True(input.TryReadEdge(TimeSpan.FromMilliseconds(1), out var a));
        Assert.True(input.TryReadEdge(TimeSpan.FromMilliseconds(1), out var b));
        Assert.False(input.TryReadEdge(TimeSpan.FromMilliseconds(1), out _));
        Assert.Equal((GpioEdges.Falling, t0 + 30 * Us, 1UL), (a.Edge, a.TimestampNs, a.Sequence));
        Assert.Equal((GpioEdges.Falling, t0 + 70 * Us, 2UL), (b.Edge, b.TimestampNs, b.Sequence));
    }

    [Fact]
    public void Active_low_lines_report_logical_levels_and_edges()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        chip.ScriptInput(7, (t0, true)); // idle high through a pull-up
        using var input = chip.RequestInput(7, BothEdges with { ActiveLow = true }, "test");
        Assert.False(input.Read());

        chip.ScriptInput(7, (t0 + 1 * Ms, false));
        Assert.True(input.TryReadEdge(TimeSpan.FromMilliseconds(5), out var press));
        Assert.Equal(GpioEdges.Rising, press.Edge);
        Assert.True(input.Read());
        Assert.False(chip.GetLevel(7));
    }

    [Fact]
    public void Debounce_swallows_a_glitch_shorter_than_the_period()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        using var input = chip.RequestInput(4, BothEdges with { Debounce = TimeSpan.FromMilliseconds(5) }, "test");
        chip.ScriptPulse(4, t0 + 1 * Ms, 2 * Ms); // 2 ms glitch

        Assert.False(input.TryReadEdge(TimeSpan.FromMilliseconds(50), out var edge), $"unexpected {edge}");
        Assert.False(input.Read());
    }

    [Fact]
    public void Debounce_reports_a_settled_change_one_period_after_the_last_bounce()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        using var input = chip.RequestInput(4, BothEdges with { Debounce = TimeSpan.FromMilliseconds(5) }, "test");
        chip.ScriptInput(4, (t0 + 1 * Ms, true), (t0 + 1 * Ms + 300 * Us, false), (t0 + 1 * Ms + 700 * Us, true));

        Assert.True(input.TryReadEdge(TimeSpan.FromMilliseconds(50), out var edge));
        Assert.Equal((GpioEdges.Rising, t0 + 6 * Ms + 700 * Us, 1UL), (edge.Edge, edge.TimestampNs, edge.Sequence));
        Assert.False(input.TryReadEdge(TimeSpan.FromMilliseconds(50), out _));
    }

    [Fact]
    public void Requesting_a_line_twice_fails_as_busy()
    {
        using var chip = new SimulatedGpioChip();
        using var first = chip.RequestOutput(9, false, "first");
        var e = Assert.Throws<DeviceException>(() => chip.RequestInput(9, BothEdges, "second"));
        Assert.Contains("busy", e.Message);
        Assert.Contains("first", e.Message);
    }

    [Fact]
    public void A_released_line_can_be_requested_again()
    {
        using var chip = new SimulatedGpioChip();
        chip.RequestOutput(9, false, "first").Dispose();
        using var again = chip.RequestInput(9, BothEdges, "second");
        Assert.True(chip.IsRequested(9));
    }

    [Fact]
    public void Requesting_a_line_past_the_chip_fails_as_invalid()
    {
        using var chip = new SimulatedGpioChip(lineCount: 8);
        var e = Assert.Throws<DeviceException>(() => chip.RequestOutput(8, false, "test"));
        Assert.Contains("EINVAL", e.Message);
    }

    [Fact]
    public void Outputs_record_their_history_and_notify_changes()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        var seen = new List<SimulatedOutputChange>();
        using var watch = chip.OnOutputChanged(2, seen.Add);
        using var led = chip.RequestOutput(2, false, "led");
        chip.AdvanceTo(t0 + 1 * Ms);
        led.Write(true);
        led.Write(true); // no change, no record
        chip.AdvanceTo(t0 + 3 * Ms);
        led.Write(false);

        Assert.Equal([(t0, false), (t0 + 1 * Ms, true), (t0 + 3 * Ms, false)], chip.History(2));
        Assert.Equal([new SimulatedOutputChange(2, t0 + 1 * Ms, true, t0), new SimulatedOutputChange(2, t0 + 3 * Ms, false, t0 + 1 * Ms)], seen);
    }

    [Fact]
    public void A_responder_answers_a_long_enough_pulse_on_an_output()
    {
        using var chip = new SimulatedGpioChip();
        using var respond = chip.OnPulse(23, 10 * Us, (start, end) => chip.ScriptPulse(24, end + 100 * Us, 500 * Us));
        using var trigger = chip.RequestOutput(23, false, "trigger");
        using var echo = chip.RequestInput(24, BothEdges, "echo");

        long t0 = chip.NowNs;
        trigger.Write(true);
        chip.AdvanceTo(t0 + 5 * Us); // too short: ignored
        trigger.Write(false);
        Assert.False(echo.TryReadEdge(TimeSpan.FromMilliseconds(2), out _));

        long t1 = chip.NowNs;
        trigger.Write(true);
        chip.WaitUntil(t1 + 10 * Us);
        trigger.Write(false);
        Assert.True(echo.TryReadEdge(TimeSpan.FromMilliseconds(2), out var rise));
        Assert.True(echo.TryReadEdge(TimeSpan.FromMilliseconds(2), out var fall));
        Assert.Equal(t1 + 110 * Us, rise.TimestampNs);
        Assert.Equal(500 * Us, fall.TimestampNs - rise.TimestampNs);
    }

    [Fact]
    public void A_full_event_buffer_drops_the_oldest_events_and_sequence_numbers_show_the_gap()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        using var input = chip.RequestInput(1, new GpioInputOptions { Edges = GpioEdges.Rising }, "test");
        for (int i = 0; i < 20; i++) chip.ScriptPulse(1, t0 + i * 100 * Us, 50 * Us);
        chip.Advance(TimeSpan.FromMilliseconds(10));

        Assert.True(input.TryReadEdge(TimeSpan.Zero, out var first));
        Assert.Equal(5UL, first.Sequence);
    }

    [Fact]
    public void Scripting_a_change_in_the_past_is_refused()
    {
        using var chip = new SimulatedGpioChip();
        Assert.Throws<ArgumentOutOfRangeException>(() => chip.ScriptInput(1, (chip.NowNs - 1, true)));
    }

    [Fact]
    public void Scheduled_actions_run_when_the_clock_reaches_them_and_can_be_cancelled()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        var ran = new List<long>();
        chip.Schedule(t0 + 2 * Ms, () => ran.Add(chip.NowNs));
        var cancelled = chip.Schedule(t0 + 1 * Ms, () => ran.Add(-1));
        cancelled.Dispose();
        chip.AdvanceTo(t0 + 1 * Ms + 999_999);
        Assert.Empty(ran);
        chip.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([t0 + 2 * Ms], ran);
    }

    [Fact]
    public void A_timer_runs_once_per_arming_at_its_latest_time_and_arming_it_allocates_nothing()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        var ran = new List<long>(64);
        using var timer = chip.CreateTimer(() => ran.Add(chip.NowNs));

        timer.Arm(t0 + 1 * Ms);
        timer.Arm(t0 + 3 * Ms); // moved: the first arming must not run
        chip.AdvanceTo(t0 + 2 * Ms);
        Assert.Empty(ran);
        chip.AdvanceTo(t0 + 4 * Ms);
        Assert.Equal([t0 + 3 * Ms], ran);

        timer.Arm(t0 + 5 * Ms);
        timer.Cancel();
        chip.AdvanceTo(t0 + 6 * Ms);
        Assert.Single(ran);

        timer.Arm(t0 + 1 * Ms); // in the past: runs at once, at the clock's time
        Assert.Equal([t0 + 3 * Ms, t0 + 6 * Ms], ran);

        ran.Clear();
        var sample = Allocations.SteadyState(() => { timer.Arm(chip.NowNs + Ms); chip.Advance(TimeSpan.FromMilliseconds(1)); },
            warmUp: 16, windows: 5, callsPerWindow: 8);
        Assert.True(sample.Bytes == 0, $"arming allocated: {sample}");
        Assert.Equal(16 + 5 * 8, ran.Count);
    }
}
