using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Inspection;

/// <summary>
/// Decides whether a part is defective from its detections: a detection counts when its class is one to reject,
/// its score reaches the class's minimum (or, with <see cref="InspectionOptions.Verifier"/>, it is of the verifier's class,
/// scores at least <see cref="VerifierRule.From"/> and was verified at least <see cref="VerifierRule.Min"/>: the second
/// look; with <see cref="VerifierRule.To"/>, a looked-at detection scoring from <see cref="VerifierRule.From"/> up to it counts
/// only so, whatever its score), its box is at least <see cref="InspectionOptions.MinAreaPx"/> and its centre lies in a region of interest.
/// Class names are resolved to ids once, so judging allocates nothing.
/// </summary>
public sealed class DecisionRules
{
    private readonly bool[] _reject;
    private readonly float[] _minScore;
    private readonly float _minArea;
    private readonly System.Drawing.RectangleF[] _regions;
    private readonly int _verifierClass = -1;
    private readonly float _verifierFrom = float.PositiveInfinity, _verifierMin = float.PositiveInfinity, _verifierTo = float.PositiveInfinity;
    private readonly bool _vetoes;

    /// <exception cref="ArgumentException">a class named in the options is not one of <paramref name="labels"/>.</exception>
    public DecisionRules(InspectionOptions options, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(labels);
        options.Validate();
        Labels = labels;
        _reject = new bool[labels.Count];
        _minScore = new float[labels.Count];
        _minScore.AsSpan().Fill(options.MinScore ?? InspectionOptions.DefaultMinScore);
        if (options.RejectClasses is null) _reject.AsSpan().Fill(true);
        else foreach (var name in options.RejectClasses) _reject[IdOf(name, "rules.classes")] = true;
        if (options.MinScoreByClass is not null)
            foreach (var (name, score) in options.MinScoreByClass) _minScore[IdOf(name, "rules.minScoreByClass")] = score;
        _minArea = options.MinAreaPx;
        _regions = [.. options.Regions];
        LowestScore = _minScore.Length == 0 ? options.MinScore ?? InspectionOptions.DefaultMinScore : _minScore.Min();
        if (options.Verifier is { } v)
        {
            _verifierClass = IdOf(v.ClassName, "the verifier");
            (_verifierFrom, _verifierMin) = (v.From, v.Min);
            if (v.To is { } to) (_verifierTo, _vetoes) = (to, true);
            LowestScore = Math.Min(LowestScore, v.From);
        }
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>The lowest score any class needs (the second look's <see cref="VerifierRule.From"/> included): the detector's own threshold must not be above it.</summary>
    public float LowestScore { get; }

    /// <summary>Whether the rules take a second look (<see cref="InspectionOptions.Verifier"/>).</summary>
    public bool HasVerifier => _verifierClass >= 0;

    /// <summary>The second look's class id, or -1 without one.</summary>
    public int VerifierClassId => _verifierClass;

    /// <summary>The lowest detector score the second look takes (<see cref="VerifierRule.From"/>); +∞ without one.</summary>
    public float VerifierFrom => _verifierFrom;

    /// <summary>The lowest verifier probability that makes a looked-at detection count (<see cref="VerifierRule.Min"/>); +∞ without one.</summary>
    public float VerifierMin => _verifierMin;

    /// <summary>
    /// Where the second look stops deciding (<see cref="VerifierRule.To"/>): a looked-at detection of its class scoring from
    /// <see cref="VerifierFrom"/> up to this counts only when verified at least <see cref="VerifierMin"/>. +∞ without a
    /// <c>to</c>: the verifier then only adds detections under the class's minimum score.
    /// </summary>
    public float VerifierTo => _verifierTo;

    /// <summary>Whether the second look can veto a detection above its class's minimum score (the band has a <c>to</c>).</summary>
    public bool VerifierVetoes => _vetoes;

    /// <summary>
    /// Whether the second look alone decides <paramref name="d"/>: a band with a <c>to</c>, a detection of the verifier's
    /// class scoring from <see cref="VerifierFrom"/> up to <see cref="VerifierTo"/>, and looked at (<see cref="Det.IsVerified"/>;
    /// one that was not is judged by its score, so a missing look never lets a high-scoring defect through).
    /// </summary>
    public bool SecondLookDecides(in Det d) =>
        _vetoes && d.ClassId == _verifierClass && d.Score >= _verifierFrom && d.Score < _verifierTo && d.IsVerified;

    /// <summary>The score a detection of class <paramref name="classId"/> must reach (NaN for a class outside the model's).</summary>
    public float MinScoreOf(int classId) => (uint)classId < (uint)_minScore.Length ? _minScore[classId] : float.NaN;

    /// <summary>
    /// Whether the second look passes <paramref name="d"/>: it is of the verifier's class, scores at least
    /// <see cref="VerifierFrom"/> (under <see cref="VerifierTo"/>) and was verified at least <see cref="VerifierMin"/> (a detection
    /// not looked at, NaN, never is).
    /// The class, area and region rules are <see cref="Counts"/>'s.
    /// </summary>
    public bool PassesSecondLook(in Det d) =>
        d.ClassId == _verifierClass && d.Score >= _verifierFrom && d.Score < _verifierTo && d.Verified >= _verifierMin;

    /// <summary>Whether this one detection makes a part defective.</summary>
    public bool Counts(in Det d)
    {
        if ((uint)d.ClassId >= (uint)_reject.Length || !_reject[d.ClassId]) return false;
        if (SecondLookDecides(d) ? !PassesSecondLook(d) : d.Score < _minScore[d.ClassId] && !PassesSecondLook(d)) return false;
        if (d.Width * d.Height < _minArea) return false;
        if (_regions.Length == 0) return true;
        float cx = (d.X1 + d.X2) * 0.5f, cy = (d.Y1 + d.Y2) * 0.5f;
        foreach (var r in _regions)
            if (cx >= r.Left && cx <= r.Right && cy >= r.Top && cy <= r.Bottom) return true;
        return false;
    }

    /// <summary>
    /// Counts the detections that make the part defective into <paramref name="defectsByClass"/> (one slot per class,
    /// added to) and returns how many there were; zero means the part is good.
    /// </summary>
    public int Judge(List<Det> detections, Span<int> defectsByClass)
    {
        ArgumentNullException.ThrowIfNull(detections);
        int n = 0;
        foreach (var d in detections)
        {
            if (!Counts(d)) continue;
            n++;
            if ((uint)d.ClassId < (uint)defectsByClass.Length) defectsByClass[d.ClassId]++;
        }
        return n;
    }

    /// <param name="where">what names the class, as the line's config says it (<c>rules.classes</c>), for the error.</param>
    private int IdOf(string name, string where)
    {
        for (int i = 0; i < Labels.Count; i++)
            if (string.Equals(Labels[i], name, StringComparison.Ordinal)) return i;
        throw new ArgumentException($"{where}: class '{name}' is not one the model knows (allowed: {string.Join(", ", Labels)})");
    }
}
