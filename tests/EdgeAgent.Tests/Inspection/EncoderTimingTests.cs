using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Inspection;

namespace Edge.Agent.Tests.Inspection;

public sealed class EncoderTimingTests
{
    private const int EncoderLine = 6, RejectLine = 5;
    private const long Ms = 1_000_000;

    private static readonly InspectionOptions Options = new()
    {
        RejectAfterCounts = 50, ActuatorLeadCounts = 5, PulseWidth = TimeSpan.FromMilliseconds(2),
    };

    /// <summary>A simulated chip with the encoder fed from its line and, given options, a reject gate timed by it.</summary>
    private sealed class Belt : IDisposable
    {
        private readonly IDisposable _feed;
        private readonly DigitalOutput? _actuator;

        public Belt(InspectionOptions? options)
        {
            Chip = new SimulatedGpioChip();
            Encoder = new Encoder(Chip, EncoderLine);
            _feed = Chip.OnInputEdge(EncoderLine, e => Encoder.OnEdge(e));
            if (options is null) return;
            _actuator = new DigitalOutput(Chip, RejectLine);
            Gate = new RejectGate(Chip, _actuator, options, encoder: Encoder);
        }

        public SimulatedGpioChip Chip { get; }
        public Encoder Encoder { get; }
        public RejectGate? Gate { get; }

        public void Dispose()
        {
            _actuator?.Dispose();
            _feed.Dispose();
            Encoder.Dispose();
            Chip.Dispose();
        }
    }

    /// <summary>
    /// A belt encoder pulse train that runs at 1 kHz for 100 ms, then slows to 250 Hz (the belt slows down), and
    /// returns the rising edges' times. Each pulse is high for a quarter of its period.
    /// </summary>
    private static List<long> ScriptSlowingBelt(SimulatedGpioChip chip, long startNs, int fastEdges, int slowEdges)
    {
        var edges = new List<long>();
        long t = startNs;
        for (int i = 0; i < fastEdges + slowEdges; i++)
        {
            long period = i < fastEdges ? 1 * Ms : 4 * Ms;
            chip.ScriptPulse(EncoderLine, t, period / 4);
            edges.Add(t);
            t += period;
        }
        return edges;
    }

    [Fact]
    public void The_encoder_counts_rising_edges_and_knows_the_count_at_a_past_instant()
    {
        using var belt = new Belt(null);
        var (chip, encoder) = (belt.Chip, belt.Encoder);
        var edges = ScriptSlowingBelt(chip, chip.NowNs + Ms, 10, 10);

        chip.AdvanceTo(edges[^1] + Ms);

        Assert.Equal(20, encoder.Count);
        Assert.Equal(0, encoder.CountAt(edges[0] - 1));
        Assert.Equal(1, encoder.CountAt(edges[0]));
        Assert.Equal(12, encoder.CountAt(edges[12] - 1));
        Assert.True(encoder.TryGetTimeOfCount(15, out long t15));
        Assert.Equal(edges[14], t15);
        Assert.False(encoder.TryGetTimeOfCount(21, out _));
    }

    [Fact]
    public void Pulse_listeners_run_outside_the_gates_lock_so_another_thread_can_register_a_part_meanwhile()
    {
        using var belt = new Belt(Options);
        var (chip, encoder, gate) = (belt.Chip, belt.Encoder, belt.Gate!);
        var edges = ScriptSlowingBelt(chip, chip.NowNs + Ms, fastEdges: 100, slowEdges: 0);
        chip.AdvanceTo(edges[0] + Ms / 2);
        gate.Register(1, chip.NowNs);
        Assert.Equal(GateOutcome.Rejected, gate.Decide(1, true, chip.NowNs));
        bool? registeredMeanwhile = null;
        gate.PulseStarted += p =>
        {
            // Inside the gate's lock this would wait for the listener to return: the wait would time out.
            var other = Task.Run(() => gate.Register(2, p.StartNs));
            registeredMeanwhile = other.Wait(TimeSpan.FromSeconds(10));
        };

        chip.AdvanceTo(edges[^1] + Ms); // the 50th edge starts part 1's pulse on this thread

        Assert.Equal(1, gate.Pulses);
        Assert.True(registeredMeanwhile, "the pulse listener ran while the gate's lock was held");
    }

    [Fact]
    public void Each_reject_pulse_fires_at_exactly_the_nth_encoder_edge_after_its_trigger_while_the_belt_slows_down()
    {
        using var belt = new Belt(Options);
        var (chip, encoder, gate) = (belt.Chip, belt.Encoder, belt.Gate!);
        var edges = ScriptSlowingBelt(chip, chip.NowNs + Ms, fastEdges: 100, slowEdges: 200);

        // Triggers between edges: before the slowdown, across it (its 50th edge falls in the slow part), and after it.
        long[] triggers = [edges[10] + Ms / 2, edges[30] + Ms / 3, edges[70] + Ms / 2, edges[90] + Ms / 4, edges[150] + Ms, edges[200] + 2 * Ms];
        bool[] defective = [true, false, true, true, true, false];
        var expected = new List<(long, long)>();
        for (int i = 0; i < triggers.Length; i++)
        {
            chip.AdvanceTo(triggers[i]);
            var timing = gate.Register(i + 1, triggers[i]);
            long triggerCount = encoder.CountAt(triggers[i]);
            Assert.Equal(triggerCount + 50, timing.RejectAtCount);
            Assert.Equal(triggerCount + 45, timing.DeadlineCount);
            // Decided 20 counts after the trigger at most: always in time.
            chip.AdvanceTo(edges[(int)triggerCount + 19]);
            Assert.Equal(defective[i] ? GateOutcome.Rejected : GateOutcome.Passed, gate.Decide(i + 1, defective[i], chip.NowNs));
            // The Nth edge after the trigger is edges[triggerCount + N − 1] (count c is reached at edges[c − 1]).
            if (defective[i]) expected.Add((edges[(int)triggerCount + 49], 2 * Ms));
        }
        chip.AdvanceTo(edges[^1] + 10 * Ms);

        Assert.Equal(expected, ConveyorSimulation.Pulses(chip.History(RejectLine)));
        Assert.Equal(0, gate.LateDecisions);
    }

    [Fact]
    public void A_decision_after_the_deadline_edge_follows_the_fail_safe_policy()
    {
        foreach (var (policy, outcome, pulses) in new[] { (FailSafePolicy.Reject, GateOutcome.LateRejected, 1), (FailSafePolicy.PassAndAlert, GateOutcome.LatePassed, 0) })
        {
            using var belt = new Belt(Options with { LatePolicy = policy });
            var (chip, encoder, gate) = (belt.Chip, belt.Encoder, belt.Gate!);
            var edges = ScriptSlowingBelt(chip, chip.NowNs + Ms, fastEdges: 20, slowEdges: 100);
            long trigger = edges[5] + Ms / 2; // count 6 at the trigger: deadline at count 51, reject at count 56

            chip.AdvanceTo(trigger);
            gate.Register(1, trigger);
            chip.AdvanceTo(edges[50] + 1); // one nanosecond after the deadline edge
            var got = gate.Decide(1, defective: false, chip.NowNs);
            chip.AdvanceTo(edges[^1] + 10 * Ms);

            Assert.Equal(outcome, got);
            Assert.Equal(1, gate.LateDecisions);
            var history = ConveyorSimulation.Pulses(chip.History(RejectLine));
            Assert.Equal(pulses, history.Count);
            if (pulses == 1) Assert.Equal(edges[55], history[0].Start);
        }
    }

    [Fact]
    public void A_belt_that_stops_one_count_short_holds_the_pulse_back_until_it_moves_on()
    {
        using var belt = new Belt(Options);
        var (chip, encoder, gate) = (belt.Chip, belt.Encoder, belt.Gate!);
        var edges = ScriptSlowingBelt(chip, chip.NowNs + Ms, fastEdges: 50, slowEdges: 0);
        long trigger = edges[0] + Ms / 2; // count 1: deadline at count 46, reject at 51

        chip.AdvanceTo(trigger);
        gate.Register(1, trigger);
        chip.AdvanceTo(edges[44]); // the edge before the deadline edge
        Assert.Equal(GateOutcome.Rejected, gate.Decide(1, defective: true, chip.NowNs));
        chip.AdvanceTo(edges[^1] + 1000 * Ms); // the belt stopped at count 50: one edge short of the reject

        Assert.Empty(ConveyorSimulation.Pulses(chip.History(RejectLine)));
        chip.ScriptPulse(EncoderLine, chip.NowNs + Ms, Ms / 4); // the belt moves on one count
        chip.AdvanceTo(chip.NowNs + 10 * Ms);
        Assert.Single(ConveyorSimulation.Pulses(chip.History(RejectLine)));
    }

    [Fact]
    public void The_encoder_estimates_a_future_counts_time_from_its_recent_period()
    {
        using var belt = new Belt(null);
        var (chip, encoder) = (belt.Chip, belt.Encoder);
        Assert.False(encoder.TryEstimateTimeOfCount(5, out _)); // no edges: no speed
        var edges = ScriptSlowingBelt(chip, chip.NowNs + Ms, fastEdges: 100, slowEdges: 10);
        chip.AdvanceTo(edges[^1] + Ms);

        Assert.True(encoder.TryEstimateTimeOfCount(50, out long past));
        Assert.Equal(edges[49], past);
        // The last 10 edges are 4 ms apart: with a window inside them the estimate is exact.
        Assert.True(encoder.TryEstimateTimeOfCount(115, out long future, window: 8));
        Assert.Equal(edges[^1] + 5 * 4 * Ms, future);
    }

    [Fact]
    public void When_the_encoder_is_lost_the_parts_in_flight_are_rejected_at_its_last_speed()
    {
        using var belt = new Belt(Options);
        var (chip, encoder, gate) = (belt.Chip, belt.Encoder, belt.Gate!);
        var started = new List<RejectPulse>();
        gate.PulseStarted += started.Add;
        // The belt runs at 1 kHz for 30 edges, then the encoder's reader fails (no more counts).
        var edges = ScriptSlowingBelt(chip, chip.NowNs + Ms, fastEdges: 30, slowEdges: 0);
        long t1 = edges[0] + Ms / 2, t2 = edges[9] + Ms / 2, t3 = edges[19] + Ms / 2, t4 = edges[24] + Ms / 2;
        chip.AdvanceTo(t1);
        gate.Register(1, t1);          // count 1: reject at count 51
        chip.AdvanceTo(t2);
        gate.Register(2, t2);          // count 10: reject at 60, decided later
        chip.AdvanceTo(t3);
        gate.Register(3, t3);          // count 20: good
        chip.AdvanceTo(t4);
        gate.Register(4, t4);          // count 25: defective, decided after the loss
        chip.AdvanceTo(edges[^1]);
        Assert.Equal(GateOutcome.Rejected, gate.Decide(1, true, chip.NowNs));
        Assert.Equal(GateOutcome.Passed, gate.Decide(3, false, chip.NowNs));
        chip.AdvanceTo(edges[^1] + Ms / 2);

        Assert.Equal(3, gate.DeadReckon()); // parts 1, 2 (undecided) and 4; part 3 is good and settled
        long last = edges[^1];             // count 30; 1 ms per count from here on
        Assert.Equal(last + 45 * Ms, gate.ReckonedUntilNs); // part 4: reject at count 75
        Assert.Equal(0, gate.DeadReckon()); // once

        chip.AdvanceTo(last + 10 * Ms);
        Assert.Equal(GateOutcome.Rejected, gate.Decide(4, true, chip.NowNs)); // before its estimated deadline (count 70)
        chip.AdvanceTo(last + 200 * Ms); // part 2 is never decided: its estimated deadline (count 55) applies the fail-safe

        Assert.Equal(new long[] { 1, 2, 4 }, started.Select(p => p.PartId).ToArray());
        Assert.Equal([last + 21 * Ms, last + 30 * Ms, last + 45 * Ms], started.Select(p => p.StartNs).ToArray());
        Assert.Equal([GateOutcome.Rejected, GateOutcome.LateRejected, GateOutcome.Rejected], started.Select(p => p.Outcome).ToArray());
        Assert.Equal(1, gate.LateDecisions);
    }

    [Fact]
    public void Encoder_timing_without_an_encoder_or_with_a_lead_not_below_the_counts_is_refused()
    {
        using var chip = new SimulatedGpioChip();
        using var actuator = new DigitalOutput(chip, RejectLine);
        Assert.Contains("RejectAfterCounts", Assert.Throws<ArgumentException>(() => new RejectGate(chip, actuator, Options)).Message);
        Assert.Contains("ActuatorLeadCounts", Assert.Throws<ArgumentException>(() => (Options with { ActuatorLeadCounts = 50 }).Validate()).Message);
    }
}
