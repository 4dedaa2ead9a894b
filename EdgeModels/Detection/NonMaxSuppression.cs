using System.Runtime.InteropServices;

namespace Edge.Models.Detection;

/// <summary>
/// Greedy non-maximum suppression, class-aware unless told otherwise. Candidates are taken in a fixed
/// order, score descending then decode index ascending, so equal scores always resolve the same way.
/// IoU uses areas without the +1 (as torchvision and PaddleDetection's normalised NMS do); a box is
/// suppressed when its IoU with a kept box of the same class is strictly above the threshold.
/// Keeps its scratch between calls: the steady state allocates nothing. Not thread-safe.
/// </summary>
public sealed class NonMaxSuppression
{
    private bool[] _suppressed = new bool[256];

    public float IouThreshold { get; init; } = 0.45f;
    public int MaxDetections { get; init; } = 300;
    public bool ClassAgnostic { get; init; }

    /// <summary>Sorts <paramref name="candidates"/> into the order above and moves the kept ones, best first, to its front; returns how many were kept.</summary>
    public int Apply(List<BoxCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var all = CollectionsMarshal.AsSpan(candidates);
        all.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Index.CompareTo(b.Index));
        if (_suppressed.Length < all.Length) _suppressed = new bool[Math.Max(all.Length, 2 * _suppressed.Length)];
        var suppressed = _suppressed.AsSpan(0, all.Length);
        suppressed.Clear();
        int kept = 0;
        for (int i = 0; i < all.Length && kept < MaxDetections; i++)
        {
            if (suppressed[i]) continue;
            var best = all[i];
            all[kept++] = best; // kept <= i, and slot kept-1 is never read again
            for (int j = i + 1; j < all.Length; j++)
            {
                if (suppressed[j]) continue;
                ref readonly var other = ref all[j];
                if (!ClassAgnostic && other.ClassId != best.ClassId) continue;
                if (Iou(best, other) > IouThreshold) suppressed[j] = true;
            }
        }
        return kept;
    }

    /// <summary>Intersection over union of two corner boxes; 0 when either is empty.</summary>
    public static float Iou(in BoxCandidate a, in BoxCandidate b)
    {
        float iw = MathF.Min(a.X2, b.X2) - MathF.Max(a.X1, b.X1);
        float ih = MathF.Min(a.Y2, b.Y2) - MathF.Max(a.Y1, b.Y1);
        if (iw <= 0 || ih <= 0) return 0f;
        float inter = iw * ih;
        float union = (a.X2 - a.X1) * (a.Y2 - a.Y1) + (b.X2 - b.X1) * (b.Y2 - b.Y1) - inter;
        return union > 0 ? inter / union : 0f;
    }
}
