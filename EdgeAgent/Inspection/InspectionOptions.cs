using System.Drawing;
using Edge.Models.Detection;

namespace Edge.Agent.Inspection;

/// <summary>
/// The second look's rule (<see cref="DetectionVerifier"/>): a detection of <paramref name="ClassName"/> whose score is at
/// least <paramref name="From"/> also counts, below its class's minimum score, when the verifier gave it at least
/// <paramref name="Min"/> (<see cref="Detection.Verified"/>). With <paramref name="To"/> (the band's <c>to</c>), a looked-at
/// detection scoring from <paramref name="From"/> up to <paramref name="To"/> counts only then, even above its class's
/// minimum score (the verifier vetoes too); above <paramref name="To"/>, and for one that was not looked at, the class's
/// minimum score decides as without a second look.
/// </summary>
public sealed record VerifierRule(string ClassName, float From, float Min, float? To = null)
{
    /// <summary>The rule a loaded verifier carries (its <c>class</c> and <c>band</c> metadata).</summary>
    public static VerifierRule Of(DetectionVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return new(verifier.ClassName, verifier.From, verifier.Min, verifier.Vetoes ? verifier.To : null);
    }
}

/// <summary>What the reject gate does when a part's decision is not ready by its deadline.</summary>
public enum FailSafePolicy
{
    /// <summary>Reject the part: a late decision never lets an unchecked part through.</summary>
    Reject,
    /// <summary>Let the part pass and raise an alert (amber light, a late count, an event).</summary>
    PassAndAlert,
}

/// <summary>
/// One inspection line's settings: decision rules, reject timing, fail-safe policy, stack light thresholds,
/// shifts and snapshots. Validated in one place; errors name the option, the value and what is allowed.
/// </summary>
public sealed record InspectionOptions
{
    /// <summary>The line's name in topics and snapshot folders (letters, digits, '-', '_').</summary>
    public string Line { get; init; } = "line1";

    // ---- decision rules ----

    /// <summary>Classes that make a part defective; null = every class the model knows.</summary>
    public IReadOnlyList<string>? RejectClasses { get; init; }

    /// <summary>The lowest score that counts when neither the options nor the model say otherwise (as <c>edge detect</c>).</summary>
    public const float DefaultMinScore = 0.25f;

    /// <summary>
    /// Lowest score for a detection to count, for classes not in <see cref="MinScoreByClass"/>. Null: the model's
    /// recommended score for the class where it has one (<see cref="WithModelMinScores"/>), else <see cref="DefaultMinScore"/>.
    /// </summary>
    public float? MinScore { get; init; }

    /// <summary>Per-class lowest score, by class name.</summary>
    public IReadOnlyDictionary<string, float>? MinScoreByClass { get; init; }

    /// <summary>
    /// These options with a model's recommended per-class scores (its <c>min_score</c> metadata) filled in. Per class the
    /// lowest score is: <see cref="MinScoreByClass"/>'s entry, else <see cref="MinScore"/> when set, else the model's,
    /// else <see cref="DefaultMinScore"/>. So setting <see cref="MinScore"/> overrides the model for every class.
    /// </summary>
    public InspectionOptions WithModelMinScores(IReadOnlyDictionary<string, float>? recommended)
    {
        if (MinScore is not null || recommended is not { Count: > 0 }) return this;
        var merged = new Dictionary<string, float>(recommended, StringComparer.Ordinal);
        if (MinScoreByClass is not null)
            foreach (var (name, score) in MinScoreByClass) merged[name] = score;
        return this with { MinScoreByClass = merged };
    }

    /// <summary>
    /// The lowest score any class may need under these options (the <see cref="Verifier"/>'s <see cref="VerifierRule.From"/>
    /// included): a detector's own threshold must not be above it.
    /// </summary>
    public float LowestMinScore => Math.Min(MinScoreByClass is { Count: > 0 } byClass
        ? Math.Min(MinScore ?? DefaultMinScore, byClass.Values.Min())
        : MinScore ?? DefaultMinScore, Verifier?.From ?? 1f);

    /// <summary>
    /// The second look at uncertain boxes: a detection of the rule's class scoring at least its <see cref="VerifierRule.From"/>
    /// also counts when the detector's verifier gave it at least <see cref="VerifierRule.Min"/>. Null = no second look
    /// (detections are judged by their score alone, verified or not).
    /// </summary>
    public VerifierRule? Verifier { get; init; }

    /// <summary>Smallest box area (image px²) that counts; smaller boxes are ignored.</summary>
    public float MinAreaPx { get; init; }

    /// <summary>Regions of interest in image pixels; a detection counts when its box centre lies in one. Empty = the whole image.</summary>
    public IReadOnlyList<RectangleF> Regions { get; init; } = [];

    // ---- timing ----

    /// <summary>From the photo-eye trigger to the start of the reject pulse (camera-to-actuator distance ÷ belt speed).</summary>
    public TimeSpan RejectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Encoder timing instead of <see cref="RejectDelay"/> when above 0: the reject pulse starts at the encoder edge
    /// that makes the count reach (count at the trigger) + this, so a belt that slows or stops keeps the reject on the
    /// part. The decision deadline is then the edge at that count − <see cref="ActuatorLeadCounts"/>. Needs an
    /// <see cref="Encoder"/> handed to the gate.
    /// </summary>
    public int RejectAfterCounts { get; init; }

    /// <summary>With <see cref="RejectAfterCounts"/>: how many encoder counts before the pulse the decision must be known.</summary>
    public int ActuatorLeadCounts { get; init; }

    /// <summary>Whether the reject is timed by encoder counts (<see cref="RejectAfterCounts"/> above 0).</summary>
    public bool UsesEncoder => RejectAfterCounts > 0;

    /// <summary>How long the reject actuator is driven.</summary>
    public TimeSpan PulseWidth { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>
    /// How long before the pulse the decision must be known (actuator arming, valve travel). The decision deadline is
    /// trigger + <see cref="RejectDelay"/> − <see cref="ActuatorLead"/>.
    /// </summary>
    public TimeSpan ActuatorLead { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>What happens to a part whose decision misses the deadline.</summary>
    public FailSafePolicy LatePolicy { get; init; } = FailSafePolicy.Reject;

    /// <summary>The photo-eye's debounce; the kernel stamps a debounced edge when the period ends, so the line subtracts it.</summary>
    public TimeSpan PhotoEyeDebounce { get; init; } = TimeSpan.FromMilliseconds(1);

    // ---- stack light ----

    /// <summary>Amber when the yield of the last <see cref="YieldWindow"/> parts falls below this (0..1).</summary>
    public double AmberYieldBelow { get; init; } = 0.90;

    /// <summary>Parts in the rolling window that the stack light's yield is computed over.</summary>
    public int YieldWindow { get; init; } = 100;

    /// <summary>Amber when a late decision happened within the last this many parts.</summary>
    public int AmberAfterLateFor { get; init; } = 20;

    // ---- counters and snapshots ----

    /// <summary>Local times of day at which shifts start (sorted or not); empty = one shift per calendar day.</summary>
    public IReadOnlyList<TimeOnly> ShiftStarts { get; init; } = [new(6, 0), new(14, 0), new(22, 0)];

    /// <summary>Folder for snapshots of defective parts; null = no snapshots.</summary>
    public string? SnapshotFolder { get; init; }

    /// <summary>Most snapshot files kept; the oldest go first.</summary>
    public int SnapshotMaxFiles { get; init; } = 1000;

    /// <summary>Snapshots older than this are deleted.</summary>
    public TimeSpan SnapshotMaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Snapshots that may wait for (or be in) the background writer; a defective part beyond them gets none (counted as dropped).</summary>
    public int SnapshotQueue { get; init; } = 8;

    public static InspectionOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and the bad value.</summary>
    public void Validate()
    {
        Check(!string.IsNullOrEmpty(Line) && Line.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'), nameof(Line), Line, "letters, digits, '-', '_'");
        Check(MinScore is null or (>= 0 and <= 1), nameof(MinScore), MinScore, "0..1 (or unset: the model's recommended scores)");
        if (MinScoreByClass is not null)
            foreach (var (name, score) in MinScoreByClass)
                Check(score is >= 0 and <= 1, nameof(MinScoreByClass), $"{{{name}: {score}}}", "scores 0..1");
        if (RejectClasses is not null)
            Check(RejectClasses.Count > 0 && RejectClasses.All(c => !string.IsNullOrWhiteSpace(c)), nameof(RejectClasses), string.Join(",", RejectClasses), "one or more class names (null = all)");
        if (Verifier is { } v)
            Check(!string.IsNullOrWhiteSpace(v.ClassName) && v.From is >= 0 and <= 1 && v.Min is >= 0 and <= 1
                    && (v.To is null || (v.To > v.From && v.To <= 1)), nameof(Verifier),
                $"{{class: {v.ClassName}, from: {v.From}, " + (v.To is { } to ? $"to: {to}, " : "") + $"min: {v.Min}}}",
                "a class name, from and min 0..1, and to (when set) above from and at most 1");
        Check(MinAreaPx >= 0 && float.IsFinite(MinAreaPx), nameof(MinAreaPx), MinAreaPx, "0 or more");
        foreach (var r in Regions)
            Check(r.Width > 0 && r.Height > 0, nameof(Regions), $"[{r.Left},{r.Top},{r.Right},{r.Bottom}]", "boxes [x1,y1,x2,y2] with x2 > x1 and y2 > y1");
        Check(RejectDelay > TimeSpan.Zero && RejectDelay <= TimeSpan.FromMinutes(1), nameof(RejectDelay), RejectDelay, "above 0, at most 1 min");
        Check(RejectAfterCounts is >= 0 and <= 10_000_000, nameof(RejectAfterCounts), RejectAfterCounts, "0 (use RejectDelay) or 1..10000000 encoder counts");
        Check(ActuatorLeadCounts >= 0 && (RejectAfterCounts == 0 ? ActuatorLeadCounts == 0 : ActuatorLeadCounts < RejectAfterCounts), nameof(ActuatorLeadCounts), ActuatorLeadCounts,
            RejectAfterCounts == 0 ? "0 when RejectAfterCounts is 0" : $"0 or more and below RejectAfterCounts ({RejectAfterCounts})");
        Check(PulseWidth > TimeSpan.Zero && PulseWidth <= TimeSpan.FromSeconds(5), nameof(PulseWidth), PulseWidth, "above 0, at most 5 s");
        Check(ActuatorLead >= TimeSpan.Zero && ActuatorLead < RejectDelay, nameof(ActuatorLead), ActuatorLead, $"0 or more and below RejectDelay ({RejectDelay.TotalMilliseconds} ms)");
        Check(Enum.IsDefined(LatePolicy), nameof(LatePolicy), LatePolicy, string.Join(", ", Enum.GetNames<FailSafePolicy>()));
        Check(PhotoEyeDebounce >= TimeSpan.Zero && PhotoEyeDebounce < ActuatorDeadlineMargin, nameof(PhotoEyeDebounce), PhotoEyeDebounce, "0 or more and below the decision deadline");
        Check(AmberYieldBelow is >= 0 and <= 1, nameof(AmberYieldBelow), AmberYieldBelow, "0..1");
        Check(YieldWindow is >= 1 and <= 100_000, nameof(YieldWindow), YieldWindow, "1..100000");
        Check(AmberAfterLateFor is >= 0 and <= 100_000, nameof(AmberAfterLateFor), AmberAfterLateFor, "0..100000");
        Check(ShiftStarts.Distinct().Count() == ShiftStarts.Count, nameof(ShiftStarts), string.Join(",", ShiftStarts), "distinct times of day");
        Check(SnapshotMaxFiles is >= 1 and <= 10_000_000, nameof(SnapshotMaxFiles), SnapshotMaxFiles, "1..10000000");
        Check(SnapshotMaxAge > TimeSpan.Zero, nameof(SnapshotMaxAge), SnapshotMaxAge, "above 0");
        Check(SnapshotQueue is >= 1 and <= 1024, nameof(SnapshotQueue), SnapshotQueue, "1..1024 snapshots");
    }

    /// <summary>From the trigger to the decision deadline.</summary>
    public TimeSpan ActuatorDeadlineMargin => RejectDelay - ActuatorLead;

    private static void Check(bool ok, string name, object? value, string allowed)
    {
        if (!ok) throw new ArgumentException($"inspection option {name} = {value} is out of range (allowed: {allowed})", name);
    }
}
