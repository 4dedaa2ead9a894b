using System.Drawing;
using Edge.Models.Imaging;

namespace Edge.Agent.Inspection;

/// <summary>
/// Finds parts in a continuous-mode frame without a model: the parts are much brighter than the belt. The frame is
/// sampled on a grid of <see cref="Step"/>-pixel cells (one gray value per cell, at its centre), cells brighter than the
/// belt (the frame's median cell) by <see cref="Contrast"/>, or than a fixed <see cref="Threshold"/>, are joined into 8-connected blobs, blobs smaller than <see cref="MinCells"/> are dropped
/// (glints, dust), as are blobs thinner than <see cref="MinSidePx"/> (a rail along the belt), and blobs whose boxes lie within <see cref="MergeGapPx"/> of each other (a dark defect splitting a part) are merged. Boxes are in frame pixels.
/// Buffers are reused: once they have grown to the frame size, locating allocates nothing.
/// </summary>
public sealed class PartLocator
{
    private byte[] _bright = [];
    private int[] _stack = [];
    private readonly List<RectangleF> _raw = new(16);

    /// <summary>Cell size in pixels (the downscale factor).</summary>
    public int Step { get; init; } = 4;
    /// <summary>Fixed gray level (1..255) above which a cell belongs to a part; 0 (default) = adaptive, see <see cref="Contrast"/>.</summary>
    public byte Threshold { get; init; }
    /// <summary>Adaptive threshold: a cell belongs to a part when it is this much brighter than the frame's median cell (the belt, which fills most of the frame).</summary>
    public int Contrast { get; init; } = 15;
    /// <summary>The threshold used for the last frame.</summary>
    public int LastThreshold { get; private set; }
    /// <summary>Blobs narrower or shorter than this (pixels) are not parts: a bright rail or belt edge along the frame.</summary>
    public int MinSidePx { get; init; } = 24;
    /// <summary>Blobs whose boxes are at most this many pixels apart are one part (a dark crack or hole splits a part).</summary>
    public int MergeGapPx { get; init; } = 16;
    /// <summary>Fewest cells a blob needs to be a part.</summary>
    public int MinCells { get; init; } = 600;

    /// <summary>Clears <paramref name="boxes"/> and fills it with the parts found in <paramref name="frame"/>; returns how many.</summary>
    public int Locate(ImageBuffer frame, List<RectangleF> boxes)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentOutOfRangeException.ThrowIfLessThan(Step, 1);
        boxes.Clear();
        _raw.Clear();
        int gw = frame.Width / Step, gh = frame.Height / Step, n = gw * gh;
        if (n == 0) return 0;
        if (_bright.Length < n) { _bright = new byte[n]; _stack = new int[n]; }
        int bpp = frame.BytesPerPixel;
        bool gray = frame.Format == PixelFormat.Gray8;
        Span<int> histogram = stackalloc int[256];
        histogram.Clear();
        // Each cell's gray level is the mean of its Step×Step pixels: a single sample per cell picks up the
        // surface texture's dark stripes and the belt's bright ones, which breaks parts up and adds specks.
        int area = Step * Step;
        for (int gy = 0; gy < gh; gy++)
        {
            for (int gx = 0; gx < gw; gx++)
            {
                int sum = 0;
                for (int dy = 0; dy < Step; dy++)
                {
                    var row = frame.Row(gy * Step + dy);
                    int o = gx * Step * bpp;
                    for (int dx = 0; dx < Step; dx++, o += bpp)
                        sum += gray ? row[o] : (row[o] + 2 * row[o + 1] + row[o + 2]) >> 2;
                }
                int v = sum / area;
                _bright[gy * gw + gx] = (byte)v; // the gray level for now; replaced by 0/1 below
                histogram[v]++;
            }
        }
        int threshold = Threshold;
        if (threshold == 0)
        {
            int median = 0;
            for (int seen = 0; median < 255 && (seen += histogram[median]) < (n + 1) / 2; median++) { }
            threshold = Math.Min(254, median + Contrast);
        }
        LastThreshold = threshold;
        for (int i = 0; i < n; i++) _bright[i] = _bright[i] > threshold ? (byte)1 : (byte)0;
        for (int start = 0; start < n; start++)
        {
            if (_bright[start] != 1) continue;
            // Flood fill from this cell; visited cells are marked 2.
            int top = 0, cells = 0, minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
            _stack[top++] = start;
            _bright[start] = 2;
            while (top > 0)
            {
                int c = _stack[--top];
                int cx = c % gw, cy = c / gw;
                cells++;
                if (cx < minX) minX = cx;
                if (cx > maxX) maxX = cx;
                if (cy < minY) minY = cy;
                if (cy > maxY) maxY = cy;
                for (int dy = -1; dy <= 1; dy++)
                {
                    int ny = cy + dy;
                    if ((uint)ny >= (uint)gh) continue;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = cx + dx;
                        if ((uint)nx >= (uint)gw) continue;
                        int nc = ny * gw + nx;
                        if (_bright[nc] != 1) continue;
                        _bright[nc] = 2;
                        _stack[top++] = nc;
                    }
                }
            }
            if (cells >= MinCells && (maxX - minX + 1) * Step >= MinSidePx && (maxY - minY + 1) * Step >= MinSidePx)
                _raw.Add(RectangleF.FromLTRB(minX * Step, minY * Step, (maxX + 1) * Step, (maxY + 1) * Step));
        }
        // Merge blobs whose boxes overlap or touch: one part split by a dark defect is still one part.
        for (int i = 0; i < _raw.Count; i++)
        {
            var a = _raw[i];
            bool merged = false;
            for (int j = 0; j < boxes.Count; j++)
            {
                var b = boxes[j];
                int g = MergeGapPx;
                if (a.Left <= b.Right + g && b.Left <= a.Right + g && a.Top <= b.Bottom + g && b.Top <= a.Bottom + g)
                {
                    boxes[j] = RectangleF.Union(a, b);
                    merged = true;
                    break;
                }
            }
            if (!merged) boxes.Add(a);
        }
        return boxes.Count;
    }
}
