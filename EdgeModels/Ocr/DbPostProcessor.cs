namespace Edge.Models.Ocr;

/// <summary>A text region found by the detector, in source-image pixels, with its mean probability.</summary>
public readonly record struct TextRegion(Quad Box, float Score);

/// <summary>
/// Turns the DB probability map into text boxes the way PaddleOCR's DBPostProcess does: threshold,
/// connected regions, minimum-area rectangle, box score from the map, unclip, scale back.
/// Holds its scratch buffers so that steady-state calls allocate nothing.
/// </summary>
public sealed class DbPostProcessor
{
    private byte[] _mask = [];
    private int[] _stack = [];
    private int[] _rowMin = [];
    private int[] _rowMax = [];
    private PointF[] _points = [];
    private PointF[] _hull = [];

    public float Threshold { get; init; } = 0.3f;
    public float BoxThreshold { get; init; } = 0.6f;
    public float UnclipRatio { get; init; } = 2.0f;
    public int MaxCandidates { get; init; } = 1000;
    public int MinSize { get; init; } = 3;

    /// <summary>
    /// Finds text regions in a <paramref name="width"/>×<paramref name="height"/> probability map and
    /// appends them to <paramref name="regions"/>, scaled to a <paramref name="sourceWidth"/>×<paramref name="sourceHeight"/> image.
    /// </summary>
    public void Process(ReadOnlySpan<float> prob, int width, int height, int sourceWidth, int sourceHeight, List<TextRegion> regions)
    {
        int n = width * height;
        if (prob.Length < n) throw new ArgumentException($"probability map has {prob.Length} values, expected {width}x{height}={n}", nameof(prob));
        EnsureCapacity(n, width, height);
        var mask = _mask.AsSpan(0, n);
        float t = Threshold;
        for (int i = 0; i < n; i++) mask[i] = prob[i] > t ? (byte)1 : (byte)0;

        float sx = (float)sourceWidth / width, sy = (float)sourceHeight / height;
        int candidates = 0;
        for (int start = 0; start < n && candidates < MaxCandidates; start++)
        {
            if (mask[start] != 1) continue;
            candidates++;
            int pointCount = TraceRegion(mask, width, start);
            if (pointCount < 3) continue;
            int hullCount = RotatedRect.ConvexHull(_points.AsSpan(0, pointCount), _hull);
            var rect = RotatedRect.MinAreaOf(_hull.AsSpan(0, hullCount));
            if (rect.ShortSide < MinSize) continue;
            var quad = rect.ToQuad();
            float score = MeanInside(prob, width, height, quad);
            if (score < BoxThreshold) continue;
            var grown = rect.Expand(rect.Area * UnclipRatio / rect.Perimeter);
            if (grown.ShortSide < MinSize + 2) continue;
            var box = Scale(grown.ToQuad(), sx, sy, sourceWidth - 1, sourceHeight - 1);
            if (box.Width <= 3 || box.Height <= 3) continue;
            regions.Add(new TextRegion(box, score));
        }
    }

    /// <summary>
    /// Flood-fills the 8-connected region at <paramref name="start"/> (marking it visited) and writes the
    /// leftmost and rightmost pixel of each of its rows into the point buffer, ordered by (y, x): enough
    /// for the convex hull. Returns the number of points.
    /// </summary>
    private int TraceRegion(Span<byte> mask, int width, int start)
    {
        int height = mask.Length / width;
        var stack = _stack;
        int sp = 0;
        stack[sp++] = start;
        mask[start] = 2;
        int minY = start / width, maxY = minY;
        _rowMin[minY] = int.MaxValue;
        _rowMax[minY] = int.MinValue;
        while (sp > 0)
        {
            int p = stack[--sp];
            int y = p / width, x = p - y * width;
            if (y > maxY) { for (int r = maxY + 1; r <= y; r++) { _rowMin[r] = int.MaxValue; _rowMax[r] = int.MinValue; } maxY = y; }
            if (y < minY) { for (int r = y; r < minY; r++) { _rowMin[r] = int.MaxValue; _rowMax[r] = int.MinValue; } minY = y; }
            if (x < _rowMin[y]) _rowMin[y] = x;
            if (x > _rowMax[y]) _rowMax[y] = x;
            int y0 = Math.Max(y - 1, 0), y1 = Math.Min(y + 1, height - 1);
            int x0 = Math.Max(x - 1, 0), x1 = Math.Min(x + 1, width - 1);
            for (int yy = y0; yy <= y1; yy++)
            {
                int row = yy * width;
                for (int xx = x0; xx <= x1; xx++)
                {
                    int q = row + xx;
                    if (mask[q] == 1)
                    {
                        mask[q] = 2;
                        stack[sp++] = q;
                    }
                }
            }
        }
        int count = 0;
        var points = _points;
        for (int y = minY; y <= maxY; y++)
        {
            int a = _rowMin[y], b = _rowMax[y];
            if (a > b) continue;
            points[count++] = new PointF(a, y);
            if (b != a) points[count++] = new PointF(b, y);
        }
        return count;
    }

    /// <summary>Mean probability over the pixels whose centres lie inside the quad (PaddleOCR's "fast" box score).</summary>
    internal static float MeanInside(ReadOnlySpan<float> prob, int width, int height, in Quad q)
    {
        int yMin = Math.Clamp((int)MathF.Floor(q.MinY), 0, height - 1);
        int yMax = Math.Clamp((int)MathF.Ceiling(q.MaxY), 0, height - 1);
        double sum = 0;
        int count = 0;
        for (int y = yMin; y <= yMax; y++)
        {
            if (!RowSpan(q, y, out float left, out float right)) continue;
            int x0 = Math.Max((int)MathF.Ceiling(left), 0);
            int x1 = Math.Min((int)MathF.Floor(right), width - 1);
            if (x1 < x0) continue;
            var row = prob.Slice(y * width + x0, x1 - x0 + 1);
            float s = 0;
            foreach (var v in row) s += v;
            sum += s;
            count += row.Length;
        }
        return count == 0 ? 0f : (float)(sum / count);
    }

    /// <summary>Where the horizontal line at <paramref name="y"/> crosses the (convex) quad.</summary>
    private static bool RowSpan(in Quad q, float y, out float left, out float right)
    {
        left = float.MaxValue;
        right = float.MinValue;
        for (int i = 0; i < 4; i++)
        {
            var a = q[i];
            var b = q[i + 1];
            if ((a.Y <= y && b.Y >= y) || (b.Y <= y && a.Y >= y))
            {
                float x = MathF.Abs(b.Y - a.Y) < 1e-6f ? MathF.Min(a.X, b.X) : a.X + (y - a.Y) * (b.X - a.X) / (b.Y - a.Y);
                float x2 = MathF.Abs(b.Y - a.Y) < 1e-6f ? MathF.Max(a.X, b.X) : x;
                if (x < left) left = x;
                if (x2 > right) right = x2;
            }
        }
        return left <= right;
    }

    private static Quad Scale(in Quad q, float sx, float sy, float maxX, float maxY)
    {
        PointF S(PointF p) => new(Math.Clamp(p.X * sx, 0, maxX), Math.Clamp(p.Y * sy, 0, maxY));
        return new Quad(S(q.P0), S(q.P1), S(q.P2), S(q.P3));
    }

    private void EnsureCapacity(int n, int width, int height)
    {
        if (_mask.Length < n) { _mask = new byte[n]; _stack = new int[n]; }
        if (_rowMin.Length < height) { _rowMin = new int[height]; _rowMax = new int[height]; _points = new PointF[2 * height]; _hull = new PointF[2 * height + 1]; }
    }

    /// <summary>
    /// Reading order as PaddleOCR's sorted_boxes: by top-left y then x, and boxes whose tops are within
    /// 10 px of each other ordered left to right.
    /// </summary>
    public static void SortReadingOrder(List<TextRegion> regions)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(regions);
        span.Sort(static (a, b) =>
        {
            int c = a.Box.P0.Y.CompareTo(b.Box.P0.Y);
            return c != 0 ? c : a.Box.P0.X.CompareTo(b.Box.P0.X);
        });
        for (int i = 0; i < span.Length - 1; i++)
        {
            for (int j = i; j >= 0; j--)
            {
                if (MathF.Abs(span[j + 1].Box.P0.Y - span[j].Box.P0.Y) < 10 && span[j + 1].Box.P0.X < span[j].Box.P0.X)
                    (span[j], span[j + 1]) = (span[j + 1], span[j]);
                else
                    break;
            }
        }
    }
}
