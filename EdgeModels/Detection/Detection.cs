using System.Drawing;

namespace Edge.Models.Detection;

/// <summary>
/// One object found in an image: its class, the class's label, the score, and the box in image pixels (x1,y1 top-left;
/// x2,y2 bottom-right). <see cref="Verified"/> is the second look's probability (<see cref="DetectionVerifier"/>) when the
/// detector's verifier looked at it, else NaN.
/// </summary>
public readonly record struct Detection(int ClassId, string Label, float Score, float X1, float Y1, float X2, float Y2, float Verified = float.NaN)
{
    /// <summary>Whether a verifier looked at this detection (<see cref="Verified"/> holds its probability).</summary>
    public bool IsVerified => !float.IsNaN(Verified);

    public RectangleF Box => RectangleF.FromLTRB(X1, Y1, X2, Y2);
    public float Width => X2 - X1;
    public float Height => Y2 - Y1;
}

/// <summary>
/// Milliseconds per stage for one image; <see cref="ModelMs"/> is the detector's time inside ONNX Runtime.
/// <see cref="VerifyMs"/> is the second look (crops and the verifier's runs) for the <see cref="Verified"/> boxes it
/// looked at; <see cref="TotalMs"/> includes it, <see cref="PostprocessMs"/> does not.
/// </summary>
public readonly record struct DetectionTimings(double DecodeMs, double PreprocessMs, double ModelMs, double PostprocessMs, double TotalMs,
    double VerifyMs = 0, int Verified = 0);

public sealed record DetectionResult(IReadOnlyList<Detection> Detections, DetectionTimings Timings);

/// <summary>
/// A box the decoder proposes before NMS: corners in the decoder's coordinate space, the best (or, for
/// multi-label layouts, one) class and its score, and <see cref="Index"/>, the order it was decoded in,
/// which breaks score ties so results are deterministic.
/// </summary>
public record struct BoxCandidate(float X1, float Y1, float X2, float Y2, float Score, int ClassId, int Index);

/// <summary>Score thresholds: one per class where given, <see cref="Default"/> for the rest. A candidate is kept when its score is strictly above its class's threshold, as Ultralytics and PaddleDetection do.</summary>
public sealed class ScoreThresholds
{
    private readonly float[] _perClass;

    public ScoreThresholds(float defaultThreshold, IReadOnlyDictionary<int, float>? perClass = null)
    {
        Default = defaultThreshold;
        int n = perClass is { Count: > 0 } ? perClass.Keys.Max() + 1 : 0;
        _perClass = new float[n];
        _perClass.AsSpan().Fill(defaultThreshold);
        if (perClass is not null)
            foreach (var (id, threshold) in perClass) _perClass[id] = threshold;
        Minimum = n == 0 ? defaultThreshold : Math.Min(defaultThreshold, _perClass.Min());
    }

    public float Default { get; }

    /// <summary>The lowest threshold of any class: a candidate at or below it cannot be kept whatever its class.</summary>
    public float Minimum { get; }

    public float For(int classId) => (uint)classId < (uint)_perClass.Length ? _perClass[classId] : Default;
}
