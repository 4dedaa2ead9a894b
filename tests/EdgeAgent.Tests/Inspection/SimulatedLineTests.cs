using Edge.Agent.Inspection;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Tests.Inspection;

public sealed class SimulatedLineTests
{
    private static readonly long Ms = 1_000_000;

    [Fact]
    public void A_thousand_parts_are_rejected_exactly_when_judged_defective_at_trigger_plus_delay()
    {
        var images = LineHarness.SyntheticImages(180, seed: 3);
        var rng = new Random(5);
        var compute = Enumerable.Range(0, 1000).Select(_ => 5 + 15 * rng.NextDouble()).ToArray();
        using var h = new LineHarness(1000, images, p => compute[p.Index], LineHarness.RulesForTests);

        var report = h.Run();

        Assert.Equal(1000, report.Parts.Count);
        Assert.Equal(0, report.Late);
        Assert.Equal(0, report.StrayPulses);
        foreach (var r in report.Parts)
        {
            Assert.Equal(r.Part.TrulyDefective, r.Verdict.Defective);
            Assert.Equal(r.Part.TrulyDefective, r.Rejected);
            if (!r.Rejected) continue;
            long offset = r.PulseStartNs!.Value - r.Part.BeamNs - h.Options.RejectDelay.Ticks * 100;
            Assert.InRange(offset, -Ms, Ms);
            Assert.Equal(h.Options.PulseWidth.Ticks * 100, r.PulseWidthNs);
        }
        Assert.Equal(0, report.MissedVsTruth);
        Assert.Equal(0, report.WrongVsTruth);
        Assert.Equal((0, 0), (report.GateMissed, report.GateWrong));
        Assert.InRange(report.TrulyDefective, 300, 500);
    }

    [Fact]
    public void Each_part_carries_the_detection_that_decided_it_and_the_summary_names_it()
    {
        var images = LineHarness.SyntheticImages(60, seed: 7);
        // Defective images whose highest score is a detection that does not count (outside the region): the one
        // that decided is the best that counts.
        var rulesOnly = new DecisionRules(LineHarness.RulesForTests, LineHarness.Labels);
        foreach (int k in Enumerable.Range(0, images.Length).Where(k => images[k].Any(d => rulesOnly.Counts(d))).Take(5))
            images[k] = [.. images[k], new Det(2, "spot", 0.99f, 300, 300, 318, 318)];
        using var h = new LineHarness(200, images, _ => 10, LineHarness.RulesForTests);

        var report = h.Run();

        var rules = h.Line.Rules;
        foreach (var r in report.Parts)
        {
            var dets = images[r.Part.Image];
            // A defective part: its best detection that counts; a good one: its best detection of any kind, or none.
            var expected = dets.Where(d => rules.Counts(d)).Select(d => (Det?)d).MaxBy(d => d!.Value.Score)
                           ?? dets.Select(d => (Det?)d).MaxBy(d => d!.Value.Score);
            Assert.Equal(expected, r.Deciding);
            Assert.Equal(r.Verdict.Defective, r.Deciding is { } d && rules.Counts(d));
        }
        Assert.Contains(report.Parts, r => r.Verdict.Defective && images[r.Part.Image].Any(d => d.Score > r.Deciding!.Value.Score));
        Assert.Contains(report.Parts, r => !r.Verdict.Defective && r.Deciding is not null);
        Assert.Contains(report.Parts, r => r.Deciding is null);

        // The summary's error list: grouped by image, the group's best detection and the threshold it was held to.
        var dir = Directory.CreateTempSubdirectory("edge-error-images-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "labels.json"), "{\"classes\": [\"scratch\", \"dent\", \"spot\", \"missing_hole\"], \"images\": ["
                + string.Join(", ", images.Select((_, i) => $"{{\"file\": \"{i:0000}.jpg\", \"width\": 320, \"height\": 320, \"objects\": []}}")) + "]}");
            var set = Edge.Models.Detection.LabelledImageSet.Load(dir);
            var defective = report.Parts.Where(r => r.Verdict.Defective).ToList();
            var top = defective.GroupBy(r => r.Part.Image).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First();
            var best = top.Max(r => r.Deciding!.Value.Score);
            string text = Edge.Agent.Cli.InspectCommand.ErrorImages(defective, set, rules);
            string first = text.Split("), ")[0] + ")";
            Assert.Equal($"{top.Key:0000}.jpg{(top.Count() > 1 ? $" ×{top.Count()}" : "")} ({top.First().Deciding!.Value.Label} {best.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} ≥ 0.5)", first);
            var silent = report.Parts.Where(r => r.Deciding is null).Take(1).ToList();
            Assert.EndsWith("(no detection above 0.5)", Edge.Agent.Cli.InspectCommand.ErrorImages(silent, set, rules));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Counters_by_shift_and_class_match_the_ground_truth()
    {
        var images = LineHarness.SyntheticImages(180, seed: 4);
        using var h = new LineHarness(1000, images, _ => 10, LineHarness.RulesForTests with { AmberYieldBelow = 0.3 });

        var report = h.Run();

        // The harness's wall clock starts at 13:59, so the 14:00 shift change falls one minute in.
        var rules = h.Line.Rules;
        var shift = h.Line.Shift.Snapshot();
        Assert.Equal(new TimeOnly(14, 0), TimeOnly.FromDateTime(shift.Start.DateTime));
        var inShift = report.Parts.Where(p => h.Line.Shift.PeriodOf(At(h, p)).Start == shift.Start).ToList();
        Assert.True(inShift.Count < 1000 && inShift.Count > 800, $"{inShift.Count} parts in the 14:00 shift");
        Assert.Equal(inShift.Count, shift.Parts);
        Assert.Equal(inShift.Count(p => p.Part.TrulyDefective), shift.Defective);
        Assert.Equal(inShift.Count(p => p.Part.TrulyDefective), shift.Rejected);
        for (int c = 0; c < LineHarness.Labels.Length; c++)
        {
            int expected = inShift.Sum(p => images[p.Part.Image].Count(d => d.ClassId == c && rules.Counts(d)));
            Assert.Equal(expected, shift.DefectsByClass[LineHarness.Labels[c]]);
        }
        Assert.Equal((double)inShift.Count(p => !p.Part.TrulyDefective) / inShift.Count, shift.Yield, 9);
        Assert.Equal(report.TrulyDefective, h.Sink.Defects.Count);
        Assert.NotEmpty(h.Sink.Summaries);
        Assert.All(h.Sink.Summaries, s => Assert.Equal(TimeSpan.FromMinutes(1), s.Minute.End - s.Minute.Start));
        Assert.Equal(report.Parts.Count, h.Sink.Summaries.Sum(s => s.Minute.Parts) + h.Line.Minute.Parts);
        Assert.Equal(StackLightColor.Green, h.Light.Color);
    }

    [Fact]
    public void Late_decisions_are_rejected_unchecked_under_the_reject_policy()
    {
        var images = LineHarness.SyntheticImages(180, seed: 6);
        // Every 50th part takes longer than the 480 ms the deadline allows; the next parts queue behind it.
        using var h = new LineHarness(400, images, p => p.Index % 50 == 7 ? 700 : 10,
            LineHarness.RulesForTests with { LatePolicy = FailSafePolicy.Reject });

        var report = h.Run();

        Assert.True(report.Late >= 8, $"{report.Late} late decisions");
        foreach (var r in report.Parts)
        {
            bool late = r.Verdict.DecidedNs > r.Verdict.DeadlineNs;
            Assert.Equal(late, r.Verdict.Late);
            Assert.Equal(late ? GateOutcome.LateRejected : r.Part.TrulyDefective ? GateOutcome.Rejected : GateOutcome.Passed, r.Verdict.Outcome);
            Assert.Equal(late || r.Part.TrulyDefective, r.Rejected);
        }
        Assert.Equal((0, 0), (report.GateMissed, report.GateWrong));
        Assert.Equal(report.Late, report.LateRejected);
        Assert.Equal(report.Late, h.Line.Gate.LateDecisions);
        Assert.Equal(StackLightColor.Amber, LastLightDuringLateRun(h));
    }

    [Fact]
    public void Late_decisions_pass_with_an_alert_under_the_pass_policy()
    {
        var images = LineHarness.SyntheticImages(180, seed: 6);
        using var h = new LineHarness(400, images, p => p.Index % 50 == 7 ? 700 : 10,
            LineHarness.RulesForTests with { LatePolicy = FailSafePolicy.PassAndAlert });

        var report = h.Run();

        Assert.True(report.Late >= 8);
        foreach (var r in report.Parts.Where(r => r.Verdict.Late))
        {
            Assert.Equal(GateOutcome.LatePassed, r.Verdict.Outcome);
            Assert.False(r.Rejected);
        }
        Assert.Equal(report.Late, report.LatePassed);
        Assert.Equal((0, 0), (report.GateMissed, report.GateWrong));
        Assert.Equal(report.Parts.Count(r => r.Verdict.Late && r.Part.TrulyDefective), report.MissedVsTruth);
        // Late parts are reported (the alert) whether or not they were judged defective.
        Assert.Equal(report.Parts.Count(r => r.Verdict.Defective || r.Verdict.Late), h.Sink.Defects.Count);
        Assert.Contains(h.Sink.Defects, e => e.Outcome == GateOutcome.LatePassed);
        Assert.Equal(StackLightColor.Amber, LastLightDuringLateRun(h));
    }

    [Fact]
    public void Stack_light_turns_amber_when_the_rolling_yield_drops_below_its_threshold()
    {
        var all = LineHarness.SyntheticImages(180, seed: 3);
        using var h = new LineHarness(100, all, _ => 10, LineHarness.RulesForTests with { AmberYieldBelow = 0.9, YieldWindow = 50 });

        h.Run();

        Assert.True(h.Line.Health.RollingYield < 0.9);
        Assert.Equal(StackLightColor.Amber, h.Light.Color);
        var amber = h.Chip.History(h.Conveyor.AmberLine);
        Assert.True(amber[^1].Value);
        Assert.False(h.Chip.History(h.Conveyor.GreenLine)[^1].Value);
    }

    private static StackLightColor LastLightDuringLateRun(LineHarness h) =>
        h.Chip.History(h.Conveyor.AmberLine).Any(c => c.Value) ? StackLightColor.Amber : h.Light.Color;

    private static DateTimeOffset At(LineHarness h, SimulatedPartResult p) =>
        new DateTimeOffset(2025, 1, 6, 13, 59, 0, TimeSpan.Zero).AddTicks((p.Part.BeamNs - (h.Parts[0].BeamNs - 50_000_000)) / 100);

    [Fact]
    public void A_snapshot_folder_that_cannot_be_used_turns_snapshots_off_and_the_line_still_rejects_every_defective_part()
    {
        var images = LineHarness.SyntheticImages(40, seed: 11);
        var file = Path.GetTempFileName(); // a file where the folder should be
        try
        {
            using var h = new LineHarness(100, images, _ => 10, LineHarness.RulesForTests with { SnapshotFolder = file });

            var report = h.Run();

            Assert.Null(h.Line.Snapshots);
            Assert.Equal($"snapshot folder {file} is a file, not a folder", h.Line.SnapshotsUnavailable);
            Assert.Equal(100, report.Parts.Count);
            Assert.Contains(report.Parts, r => r.Part.TrulyDefective);
            Assert.All(report.Parts, r => Assert.Equal(r.Part.TrulyDefective, r.Rejected));
            Assert.Equal((0, 0, 0), (report.MissedVsTruth, report.WrongVsTruth, report.StrayPulses));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
