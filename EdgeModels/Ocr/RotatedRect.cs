namespace Edge.Models.Ocr;

/// <summary>A minimum-area rectangle: centre, side lengths and the direction of its first side.</summary>
internal readonly record struct RotatedRect(PointF Center, float Width, float Height, float Cos, float Sin)
{
    public float ShortSide => MathF.Min(Width, Height);

    /// <summary>The rectangle grown by <paramref name="d"/> on every side (what offsetting a rectangle with round joins bounds).</summary>
    public RotatedRect Expand(float d) => this with { Width = Width + 2 * d, Height = Height + 2 * d };

    public float Area => Width * Height;
    public float Perimeter => 2 * (Width + Height);

    /// <summary>
    /// Corners ordered as PaddleOCR's get_mini_boxes does: sorted by x, the left pair split by y into
    /// top-left/bottom-left, the right pair into top-right/bottom-right.
    /// </summary>
    public Quad ToQuad()
    {
        float hx = Width * 0.5f, hy = Height * 0.5f;
        Span<PointF> p = stackalloc PointF[4];
        p[0] = Corner(-hx, -hy); p[1] = Corner(hx, -hy); p[2] = Corner(hx, hy); p[3] = Corner(-hx, hy);
        // insertion sort by x (4 elements)
        for (int i = 1; i < 4; i++)
        {
            var v = p[i]; int j = i - 1;
            while (j >= 0 && p[j].X > v.X) { p[j + 1] = p[j]; j--; }
            p[j + 1] = v;
        }
        PointF tl, bl, tr, br;
        if (p[1].Y > p[0].Y) { tl = p[0]; bl = p[1]; } else { tl = p[1]; bl = p[0]; }
        if (p[3].Y > p[2].Y) { tr = p[2]; br = p[3]; } else { tr = p[3]; br = p[2]; }
        return new Quad(tl, tr, br, bl);
    }

    private PointF Corner(float u, float v) =>
        new(Center.X + u * Cos - v * Sin, Center.Y + u * Sin + v * Cos);

    /// <summary>Minimum-area enclosing rectangle of a convex polygon (rotating calipers over its edges).</summary>
    public static RotatedRect MinAreaOf(ReadOnlySpan<PointF> hull)
    {
        if (hull.Length == 0) return default;
        if (hull.Length == 1) return new RotatedRect(hull[0], 0, 0, 1, 0);
        float bestArea = float.MaxValue;
        RotatedRect best = default;
        for (int i = 0; i < hull.Length; i++)
        {
            var a = hull[i];
            var b = hull[(i + 1) % hull.Length];
            var e = b - a;
            float len = e.Length;
            if (len < 1e-6f) continue;
            float c = e.X / len, s = e.Y / len;
            float minU = float.MaxValue, maxU = float.MinValue, minV = float.MaxValue, maxV = float.MinValue;
            foreach (var q in hull)
            {
                float u = q.X * c + q.Y * s;
                float v = -q.X * s + q.Y * c;
                if (u < minU) minU = u;
                if (u > maxU) maxU = u;
                if (v < minV) minV = v;
                if (v > maxV) maxV = v;
            }
            float area = (maxU - minU) * (maxV - minV);
            if (area < bestArea)
            {
                bestArea = area;
                float cu = (minU + maxU) * 0.5f, cv = (minV + maxV) * 0.5f;
                var center = new PointF(cu * c - cv * s, cu * s + cv * c);
                best = new RotatedRect(center, maxU - minU, maxV - minV, c, s);
            }
        }
        return best;
    }

    /// <summary>Convex hull (Andrew's monotone chain) of points already sorted by (x, y); writes into <paramref name="hull"/>, returns its length.</summary>
    public static int ConvexHull(ReadOnlySpan<PointF> sorted, Span<PointF> hull)
    {
        int n = sorted.Length;
        if (n < 3)
        {
            sorted.CopyTo(hull);
            return n;
        }
        int k = 0;
        for (int i = 0; i < n; i++)
        {
            while (k >= 2 && Cross(hull[k - 2], hull[k - 1], sorted[i]) <= 0) k--;
            hull[k++] = sorted[i];
        }
        for (int i = n - 2, t = k + 1; i >= 0; i--)
        {
            while (k >= t && Cross(hull[k - 2], hull[k - 1], sorted[i]) <= 0) k--;
            hull[k++] = sorted[i];
        }
        return k - 1;
    }

    private static float Cross(PointF o, PointF a, PointF b) => (a.X - o.X) * (b.Y - o.Y) - (a.Y - o.Y) * (b.X - o.X);
}
