using System.Drawing;
using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Inspection;
using Edge.Models.Imaging;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Tests.Inspection;

public sealed class RejectGateTests
{
    private static readonly InspectionOptions Options = new()
    {
        RejectDelay = TimeSpan.FromMilliseconds(100), ActuatorLead = TimeSpan.FromMilliseconds(10), PulseWidth = TimeSpan.FromMilliseconds(20),
    };

    [Fact]
    public void A_defective_part_decided_in_time_is_pulsed_at_trigger_plus_delay_for_the_pulse_width()
    {
        using var chip = new SimulatedGpioChip();
        using var actuator = new DigitalOutput(chip, 5);
        var gate = new RejectGate(chip, actuator, Options);
        long trigger = chip.NowNs;

        var timing = gate.Register(1, trigger);
        chip.AdvanceTo(trigger + 30_000_000);
        Assert.Equal(GateOutcome.Rejected, gate.Decide(1, defective: true, chip.NowNs));
        chip.AdvanceTo(trigger + 500_000_000);

        Assert.Equal(trigger + 90_000_000, timing.DeadlineNs);
        Assert.Equal([(trigger + 100_000_000, 20_000_000L)], ConveyorSimulation.Pulses(chip.History(5)));
    }

    [Fact]
    public void A_decision_after_the_deadline_gets_the_fail_safe_reject_and_still_only_one_pulse()
    {
        using var chip = new SimulatedGpioChip();
        using var actuator = new DigitalOutput(chip, 5);
        var gate = new RejectGate(chip, actuator, Options with { LatePolicy = FailSafePolicy.Reject });
        long trigger = chip.NowNs;
        gate.Register(1, trigger);

        chip.AdvanceTo(trigger + 95_000_000);
        var outcome = gate.Decide(1, defective: true, chip.NowNs);
        chip.AdvanceTo(trigger + 500_000_000);

        Assert.Equal(GateOutcome.LateRejected, outcome);
        Assert.Single(ConveyorSimulation.Pulses(chip.History(5)));
        Assert.Equal(1, gate.Pulses);
        Assert.Equal(1, gate.LateDecisions);
        Assert.Throws<InvalidOperationException>(() => gate.Decide(1, defective: true, chip.NowNs));
    }

    [Fact]
    public void A_good_part_decided_late_is_rejected_by_the_reject_policy_and_passed_by_the_pass_policy()
    {
        foreach (var (policy, expected, pulses) in new[] { (FailSafePolicy.Reject, GateOutcome.LateRejected, 1), (FailSafePolicy.PassAndAlert, GateOutcome.LatePassed, 0) })
        {
            using var chip = new SimulatedGpioChip();
            using var actuator = new DigitalOutput(chip, 5);
            var gate = new RejectGate(chip, actuator, Options with { LatePolicy = policy });
            long trigger = chip.NowNs;
            gate.Register(7, trigger);
            chip.AdvanceTo(trigger + 150_000_000); // past the deadline and the reject time: the timer has already acted
            Assert.Equal(expected, gate.Decide(7, defective: false, chip.NowNs));
            chip.AdvanceTo(trigger + 500_000_000);
            Assert.Equal(pulses, ConveyorSimulation.Pulses(chip.History(5)).Count);
        }
    }

    [Fact]
    public void A_decision_timestamped_past_the_deadline_is_late_even_if_the_timer_has_not_run()
    {
        using var chip = new SimulatedGpioChip();
        using var actuator = new DigitalOutput(chip, 5);
        var gate = new RejectGate(chip, actuator, Options with { LatePolicy = FailSafePolicy.PassAndAlert });
        long trigger = chip.NowNs;
        gate.Register(1, trigger);

        Assert.Equal(GateOutcome.LatePassed, gate.Decide(1, defective: true, trigger + 95_000_000));
        chip.AdvanceTo(trigger + 500_000_000);
        Assert.Empty(ConveyorSimulation.Pulses(chip.History(5)));
        Assert.Equal(1, gate.LateDecisions);
    }

    [Fact]
    public void More_parts_in_flight_than_slots_is_refused()
    {
        using var chip = new SimulatedGpioChip();
        using var actuator = new DigitalOutput(chip, 5);
        var gate = new RejectGate(chip, actuator, Options, inFlight: 2);
        gate.Register(1, chip.NowNs);
        gate.Register(2, chip.NowNs);
        Assert.Throws<InvalidOperationException>(() => gate.Register(3, chip.NowNs));
    }
}

public sealed class DecisionRulesTests
{
    private static readonly string[] Labels = ["scratch", "dent", "spot", "missing_hole"];

    [Fact]
    public void A_detection_counts_only_for_a_rejected_class_above_its_score_and_area_inside_a_region()
    {
        var rules = new DecisionRules(new InspectionOptions
        {
            RejectClasses = ["scratch", "dent"], MinScore = 0.5f, MinScoreByClass = new Dictionary<string, float> { ["dent"] = 0.8f },
            MinAreaPx = 100, Regions = [RectangleF.FromLTRB(0, 0, 100, 100)],
        }, Labels);

        Assert.True(rules.Counts(new Det(0, "scratch", 0.6f, 10, 10, 30, 30)));
        Assert.False(rules.Counts(new Det(0, "scratch", 0.4f, 10, 10, 30, 30)));   // score
        Assert.False(rules.Counts(new Det(1, "dent", 0.7f, 10, 10, 30, 30)));      // dent needs 0.8
        Assert.True(rules.Counts(new Det(1, "dent", 0.85f, 10, 10, 30, 30)));
        Assert.False(rules.Counts(new Det(2, "spot", 0.99f, 10, 10, 30, 30)));     // not a reject class
        Assert.False(rules.Counts(new Det(0, "scratch", 0.9f, 10, 10, 15, 15)));   // 25 px²
        Assert.False(rules.Counts(new Det(0, "scratch", 0.9f, 95, 95, 125, 125))); // centre outside the region
        Assert.Equal(0.5f, rules.LowestScore);

        var counts = new int[4];
        Assert.Equal(2, rules.Judge([new Det(0, "scratch", 0.6f, 10, 10, 30, 30), new Det(1, "dent", 0.9f, 10, 10, 30, 30), new Det(2, "spot", 0.9f, 10, 10, 30, 30)], counts));
        Assert.Equal([1, 1, 0, 0], counts);
    }

    [Fact]
    public void The_models_recommended_scores_fill_in_only_what_the_options_leave_open()
    {
        var model = new Dictionary<string, float> { ["scratch"] = 0.1f, ["dent"] = 0.6f };
        static Det D(int id, float score) => new(id, Labels[id], score, 10, 10, 30, 30);

        // Nothing configured: the model's score per class, the default 0.25 for the classes it does not name.
        var o = new InspectionOptions().WithModelMinScores(model);
        var rules = new DecisionRules(o, Labels);
        Assert.True(rules.Counts(D(0, 0.15f)));
        Assert.False(rules.Counts(D(1, 0.5f)));
        Assert.True(rules.Counts(D(1, 0.65f)));
        Assert.True(rules.Counts(D(2, 0.3f)));
        Assert.False(rules.Counts(D(2, 0.2f)));
        Assert.Equal(0.1f, rules.LowestScore);
        Assert.Equal(0.1f, o.LowestMinScore);

        // A class configured by name keeps its own score; the rest still follow the model.
        rules = new DecisionRules(new InspectionOptions { MinScoreByClass = new Dictionary<string, float> { ["scratch"] = 0.3f } }.WithModelMinScores(model), Labels);
        Assert.False(rules.Counts(D(0, 0.2f)));
        Assert.False(rules.Counts(D(1, 0.55f)));

        // minScore set: it overrides the model for every class not named in minScoreByClass.
        rules = new DecisionRules(new InspectionOptions { MinScore = 0.4f }.WithModelMinScores(model), Labels);
        Assert.False(rules.Counts(D(0, 0.15f)));
        Assert.True(rules.Counts(D(1, 0.5f)));
        Assert.Equal(0.4f, rules.LowestScore);

        // A model without a recommendation changes nothing.
        var plain = new InspectionOptions();
        Assert.Same(plain, plain.WithModelMinScores(null));
        Assert.Equal(InspectionOptions.DefaultMinScore, new DecisionRules(plain, Labels).LowestScore);
    }

    [Fact]
    public void A_detection_below_its_score_counts_only_when_it_reached_the_band_and_the_second_look_verified_it()
    {
        var o = new InspectionOptions
        {
            MinScoreByClass = new Dictionary<string, float> { ["scratch"] = 0.7f, ["dent"] = 0.6f }, MinScore = 0.65f,
            MinAreaPx = 100, Regions = [RectangleF.FromLTRB(0, 0, 100, 100)], Verifier = new VerifierRule("scratch", 0.5f, 0.8f),
        };
        var rules = new DecisionRules(o, Labels);
        static Det D(int id, float score, float verified, float x = 10, float size = 20) => new(id, Labels[id], score, x, x, x + size, x + size, verified);

        Assert.True(rules.Counts(D(0, 0.6f, 0.8f)));        // below 0.7, in the band, verified at the minimum
        Assert.True(rules.Counts(D(0, 0.5f, 0.95f)));       // at the band's start
        Assert.False(rules.Counts(D(0, 0.6f, 0.79f)));      // verified too low
        Assert.False(rules.Counts(D(0, 0.49f, 0.99f)));     // below the band
        Assert.False(rules.Counts(D(1, 0.55f, 0.99f)));     // another class: its own score alone
        Assert.True(rules.Counts(D(0, 0.75f, 0.1f)));       // at or above its score it counts whatever the second look said
        Assert.False(rules.Counts(D(0, 0.6f, 0.9f, size: 5)));  // area still applies
        Assert.False(rules.Counts(D(0, 0.6f, 0.9f, x: 95)));    // and the regions
        Assert.True(rules.PassesSecondLook(D(0, 0.6f, 0.9f, x: 95)));
        Assert.Equal((true, 0, 0.5f, 0.8f), (rules.HasVerifier, rules.VerifierClassId, rules.VerifierFrom, rules.VerifierMin));
        Assert.Equal(0.5f, rules.LowestScore);
        Assert.Equal(0.5f, o.LowestMinScore);

        var counts = new int[4];
        Assert.Equal(1, rules.Judge([D(0, 0.6f, 0.9f), D(0, 0.6f, 0.2f), D(1, 0.55f, 0.99f)], counts));
        Assert.Equal([1, 0, 0, 0], counts);
    }

    [Fact]
    public void A_band_with_a_to_lets_the_second_look_veto_as_well_as_confirm_between_from_and_to()
    {
        var o = new InspectionOptions
        {
            MinScoreByClass = new Dictionary<string, float> { ["scratch"] = 0.7f },
            Verifier = new VerifierRule("scratch", 0.45f, 0.3f, To: 0.85f),
        };
        var rules = new DecisionRules(o, Labels);
        static Det D(float score, float verified) => new(0, "scratch", score, 10, 10, 40, 40, verified);

        Assert.False(rules.Counts(D(0.8f, 0.29f)));    // above the class's 0.7, under `to`: vetoed
        Assert.True(rules.Counts(D(0.8f, 0.3f)));      // confirmed
        Assert.True(rules.Counts(D(0.5f, 0.9f)));      // under 0.7, confirmed as before
        Assert.False(rules.Counts(D(0.6f, 0.1f)));
        Assert.True(rules.Counts(D(0.85f, 0.01f)));    // from `to` up the score decides
        Assert.False(rules.Counts(D(0.44f, 0.99f)));   // under `from` too
        Assert.True(rules.Counts(D(0.8f, float.NaN))); // not looked at: judged by its score, never let through unseen
        Assert.False(rules.Counts(D(0.6f, float.NaN)));
        Assert.True(rules.SecondLookDecides(D(0.8f, 0.1f)));
        Assert.False(rules.SecondLookDecides(D(0.8f, float.NaN)));
        Assert.False(rules.SecondLookDecides(D(0.9f, 0.1f)));
        Assert.False(rules.SecondLookDecides(new Det(1, "dent", 0.8f, 10, 10, 40, 40, 0.1f)));
        Assert.Equal((true, 0.85f), (rules.VerifierVetoes, rules.VerifierTo));

        // Without a `to` the same box above the threshold counts whatever the second look said.
        var confirmOnly = new DecisionRules(o with { Verifier = new VerifierRule("scratch", 0.45f, 0.3f) }, Labels);
        Assert.True(confirmOnly.Counts(D(0.8f, 0.01f)));
        Assert.Equal((false, float.PositiveInfinity), (confirmOnly.VerifierVetoes, confirmOnly.VerifierTo));

        foreach (var bad in new[] { 0.45f, 0.3f, 1.2f })
        {
            var e = Assert.Throws<ArgumentException>(() => new DecisionRules(o with { Verifier = new VerifierRule("scratch", 0.45f, 0.3f, bad) }, Labels));
            Assert.Contains("to (when set) above from and at most 1", e.Message);
        }
    }

    [Fact]
    public void A_detection_the_second_look_did_not_see_is_judged_by_its_score_alone()
    {
        var o = new InspectionOptions { MinScoreByClass = new Dictionary<string, float> { ["scratch"] = 0.7f } };
        var plain = new DecisionRules(o, Labels);
        var second = new DecisionRules(o with { Verifier = new VerifierRule("scratch", 0.5f, 0.8f) }, Labels);
        Det notLooked = new(0, "scratch", 0.6f, 10, 10, 30, 30), above = notLooked with { Score = 0.7f };
        Assert.True(float.IsNaN(notLooked.Verified));
        Assert.False(notLooked.IsVerified);

        Assert.False(plain.Counts(notLooked));
        Assert.False(second.Counts(notLooked));
        Assert.True(second.Counts(above));
        // Rules without a second look ignore what a verifier said.
        Assert.False(plain.Counts(notLooked with { Verified = 0.99f }));
        Assert.False(plain.HasVerifier);
        Assert.Equal(0.25f, plain.LowestScore); // the default for the classes the options do not name
    }

    [Fact]
    public void A_second_look_for_a_class_the_model_does_not_know_or_out_of_range_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new DecisionRules(new InspectionOptions { Verifier = new VerifierRule("crack", 0.5f, 0.5f) }, Labels));
        Assert.Equal("the verifier: class 'crack' is not one the model knows (allowed: scratch, dent, spot, missing_hole)", e.Message);
        e = Assert.Throws<ArgumentException>(() => new InspectionOptions { Verifier = new VerifierRule("scratch", 0.5f, 1.5f) }.Validate());
        Assert.Contains("Verifier = {class: scratch, from: 0.5, min: 1.5} is out of range", e.Message);
    }

    [Fact]
    public void An_unknown_class_in_the_rules_is_reported_with_the_classes_the_model_knows()
    {
        var e = Assert.Throws<ArgumentException>(() => new DecisionRules(new InspectionOptions { RejectClasses = ["crack"] }, Labels));
        Assert.Contains("crack", e.Message);
        Assert.Contains("missing_hole", e.Message);
    }

    [Fact]
    public void Options_name_the_bad_value_and_what_is_allowed()
    {
        var e = Assert.Throws<ArgumentException>(() => new InspectionOptions { ActuatorLead = TimeSpan.FromMilliseconds(600) }.Validate());
        Assert.Contains("ActuatorLead", e.Message);
        Assert.Contains("below RejectDelay", e.Message);
    }
}

public sealed class PartTrackerTests
{
    [Fact]
    public void Each_part_is_counted_once_across_the_frames_it_appears_in()
    {
        // Five parts ride the belt 25 px a frame through a 640 px view; each is in view for ~20 frames,
        // detections drop out now and then and jitter by a few pixels; a one-frame flicker appears too.
        var tracker = new PartTracker { MaxCentroidJump = 60, MaxMissedFrames = 2, MinHits = 2 };
        var rng = new Random(2);
        var ids = new List<long>();
        var starts = new[] { -100f, -300f, -480f, -700f, -900f };
        int counted = 0;
        for (int frame = 0; frame < 80; frame++)
        {
            var boxes = new List<RectangleF>();
            foreach (var s in starts)
            {
                float x = s + 25 * frame + rng.Next(-3, 4);
                if (x < -40 || x > 600) continue;
                if (rng.NextDouble() < 0.1) continue; // a missed detection
                boxes.Add(new RectangleF(x, 200 + rng.Next(-3, 4), 80, 80));
            }
            if (frame == 40) boxes.Add(new RectangleF(300, 20, 30, 30));
            counted += tracker.Update(boxes.ToArray(), ids);
            Assert.Equal(boxes.Count, ids.Count);
            Assert.Equal(ids.Count, ids.Distinct().Count());
        }
        Assert.Equal(5, counted);
        Assert.Equal(5, tracker.Counted);
    }
}

public sealed class SnapshotStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-snapshots-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Retention_deletes_the_oldest_snapshots_first_and_those_past_the_age_limit()
    {
        using var image = new ImageBuffer(16, 16, PixelFormat.Rgb24);
        var store = new SnapshotStore(_dir, maxFiles: 3, maxAge: TimeSpan.FromHours(1));
        var t0 = new DateTimeOffset(2025, 1, 6, 8, 0, 0, TimeSpan.Zero);
        var names = Enumerable.Range(1, 5).Select(i => store.Save(image, i, t0.AddMinutes(i))).ToList();

        Assert.Equal(names[2..], Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(2, store.Deleted);

        var reopened = new SnapshotStore(_dir, maxFiles: 3, maxAge: TimeSpan.FromHours(1));
        Assert.Equal(3, reopened.Count);
        reopened.Prune(t0.AddMinutes(64.5)); // parts 3 and 4 are now over an hour old
        Assert.Equal([names[4]], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }
}

public sealed class ShiftCountersTests
{
    [Fact]
    public void A_part_after_the_shift_change_closes_the_shift_with_its_totals()
    {
        var counters = new ShiftCounters(["scratch", "dent"], [new TimeOnly(6, 0), new TimeOnly(14, 0), new TimeOnly(22, 0)]);
        var day = new DateTimeOffset(2025, 1, 6, 0, 0, 0, TimeSpan.Zero);

        Assert.Null(counters.Record(day.AddHours(23), [1, 0], GateOutcome.Rejected, defective: true));
        Assert.Equal(day.AddHours(22), counters.Start);
        Assert.Null(counters.Record(day.AddHours(29.5), [0, 0], GateOutcome.Passed, defective: false)); // 05:30 next day: same night shift
        Assert.Null(counters.Record(day.AddHours(29.9), [0, 2], GateOutcome.LateRejected, defective: true));
        var closed = counters.Record(day.AddHours(30.1), [0, 0], GateOutcome.Passed, defective: false);

        Assert.NotNull(closed);
        Assert.Equal((day.AddHours(22), day.AddHours(30)), (closed.Start, closed.End));
        Assert.Equal((3L, 2L, 2L, 1L, 1L), (closed.Parts, closed.Defective, closed.Rejected, closed.LateDecisions, closed.FailSafeRejects));
        Assert.Equal(1.0 / 3, closed.Yield, 9);
        Assert.Equal(1, closed.DefectsByClass["scratch"]);
        Assert.Equal(2, closed.DefectsByClass["dent"]);
        Assert.Equal(1, counters.Parts);
        Assert.Equal(day.AddHours(30), counters.Start);
    }
}

public sealed class InspectionMessagesTests
{
    [Fact]
    public void Defect_event_names_the_part_outcome_snapshot_and_defects_under_the_line_topic()
    {
        var e = new DefectEvent("line1", 42, new DateTimeOffset(2025, 1, 6, 8, 0, 0, TimeSpan.Zero), 12.346, GateOutcome.LateRejected,
            [new Det(1, "dent", 0.9123f, 10, 20, 30, 40.25f), new Det(0, "scratch", 0.6366f, 128, 113.5f, 142, 135.8f, 0.39654f)],
            "20250106T080000.000Z-part00000042.jpg");

        using var doc = System.Text.Json.JsonDocument.Parse(InspectionMessages.DefectPayload(e));
        var root = doc.RootElement;

        Assert.Equal("edge/cam-7/inspection/line1/defect", InspectionMessages.DefectTopic("edge", "cam-7", "line1"));
        Assert.Equal(1, root.GetProperty("schema").GetInt32());
        Assert.Equal(42, root.GetProperty("part").GetInt64());
        Assert.Equal("late_rejected", root.GetProperty("outcome").GetString());
        Assert.True(root.GetProperty("rejected").GetBoolean());
        Assert.True(root.GetProperty("late").GetBoolean());
        Assert.Equal(12.35, root.GetProperty("decision_ms").GetDouble());
        Assert.Equal("20250106T080000.000Z-part00000042.jpg", root.GetProperty("snapshot").GetString());
        var d = root.GetProperty("defects")[0];
        Assert.Equal("dent", d.GetProperty("class").GetString());
        Assert.Equal(0.912, d.GetProperty("score").GetDouble());
        Assert.Equal(40.2, d.GetProperty("box")[3].GetDouble(), 1);
        Assert.False(d.TryGetProperty("verified", out _)); // not looked at by a second look: no field
        var verified = root.GetProperty("defects")[1];
        Assert.Equal(0.637, verified.GetProperty("score").GetDouble());
        Assert.Equal(0.397, verified.GetProperty("verified").GetDouble());
    }

    [Fact]
    public void Summary_carries_the_minute_and_the_shift_with_yield_and_defects_by_class()
    {
        var start = new DateTimeOffset(2025, 1, 6, 8, 0, 0, TimeSpan.Zero);
        var byClass = new Dictionary<string, long> { ["scratch"] = 3, ["dent"] = 1 };
        var minute = new ShiftTotals(start, start.AddMinutes(1), 100, 4, 5, 1, 1, 0, byClass);
        var shift = new ShiftTotals(start.AddHours(-2), start.AddHours(6), 1000, 40, 41, 1, 1, 0, byClass);

        using var doc = System.Text.Json.JsonDocument.Parse(InspectionMessages.SummaryPayload("line1", minute, shift));

        Assert.Equal("edge/cam-7/inspection/line1/summary", InspectionMessages.SummaryTopic("edge", "cam-7", "line1"));
        var m = doc.RootElement.GetProperty("minute");
        Assert.Equal(100, m.GetProperty("parts").GetInt64());
        Assert.Equal(0.96, m.GetProperty("yield").GetDouble());
        Assert.Equal(3, m.GetProperty("defects").GetProperty("scratch").GetInt64());
        Assert.Equal(1000, doc.RootElement.GetProperty("shift").GetProperty("parts").GetInt64());
    }
}
