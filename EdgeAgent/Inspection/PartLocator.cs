using System.Drawing;
using Edge.Models.Imaging;

namespace Edge.Agent.Inspection;

/// <summary>
/// Finds parts in a continuous-mode frame without a model. The frame is divided into <see cref="Step"/>-pixel cells (the
/// mean gray of each); a cell belongs to a part when it differs from the belt by more than <see cref="Contrast"/>, darker
/// or brighter. The belt is learnt per row of cells: a belt's streaks run along its direction of travel, so each row has
/// its own level (and a fixed rail along the belt is just a bright row). The first frame seeds every row with the
/// frame's median cell; after each frame, each row's level and spread move towards the cells that were not part of any
/// part (<see cref="Adaptation"/>); a row whose spread is large needs <see cref="SpreadFactor"/> × its spread. With a
/// fixed <see cref="Threshold"/> instead, cells brighter than it are parts (the belt is not learnt).
/// Part cells are joined into 8-connected blobs; blobs smaller than <see cref="MinCells"/> are dropped (glints, dust), as
/// are blobs thinner than <see cref="MinSidePx"/>, and blobs whose boxes lie within <see cref="MergeGapPx"/> of each
/// other (a defect or hole splitting a part) are merged. Boxes are in frame pixels.
/// Buffers are reused: once they have grown to the frame size, locating allocates nothing.
/// </summary>
public sealed class PartLocator
{
    private byte[] _bright = [];
    private byte[] _gray = [];
    private int[] _stack = [];
    private float[] _rowLevel = [], _rowSpread = [];
    private int _modelRows, _modelColumns;
    private long _frames;
    private readonly List<RectangleF> _raw = new(16);

    /// <summary>Cell size in pixels (the downscale factor).</summary>
    public int Step { get; init; } = 4;
    /// <summary>Fixed gray level (1..255) above which a cell belongs to a part; 0 (default) = adaptive, see <see cref="Contrast"/>.</summary>
    public byte Threshold { get; init; }
    /// <summary>Adaptive mode: a cell belongs to a part when its gray level differs from its row's belt level by more than this (darker or brighter).</summary>
    public int Contrast { get; init; } = 10;
    /// <summary>Adaptive mode: a row's threshold is at least this many times its belt spread (mean absolute deviation of its belt cells).</summary>
    public float SpreadFactor { get; init; } = 4f;
    /// <summary>Adaptive mode: how far each frame moves a row's belt level towards that frame's belt cells (0..1].</summary>
    public float Adaptation { get; init; } = 0.05f;
    /// <summary>Blobs narrower or shorter than this (pixels) are not parts: a bright rail or belt edge along the frame.</summary>
    public int MinSidePx { get; init; } = 24;
    /// <summary>Blobs whose boxes are at most this many pixels apart are one part (a dark crack or hole splits a part).</summary>
    public int MergeGapPx { get; init; } = 16;
    /// <summary>Fewest cells a blob needs to be a part.</summary>
    public int MinCells { get; init; } = 150;

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
        if (_bright.Length < n) { _bright = new byte[n]; _gray = new byte[n]; _stack = new int[n]; }
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
                _gray[gy * gw + gx] = (byte)v;
                histogram[v]++;
            }
        }
        if (Threshold != 0)
        {
            for (int i = 0; i < n; i++) _bright[i] = _gray[i] > Threshold ? (byte)1 : (byte)0;
        }
        else
        {
            if (_modelRows != gh || _modelColumns != gw) SeedBelt(histogram, n, gw, gh);
            for (int gy = 0; gy < gh; gy++)
            {
                float level = _rowLevel[gy], limit = Math.Max(Contrast, SpreadFactor * _rowSpread[gy]);
                for (int i = gy * gw, end = i + gw; i < end; i++)
                    _bright[i] = Math.Abs(_gray[i] - level) > limit ? (byte)1 : (byte)0;
            }
        }
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
        if (Threshold == 0) LearnBelt(gw, gh);
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

    private void SeedBelt(Span<int> histogram, int n, int gw, int gh)
    {
        int median = 0;
        for (int seen = 0; median < 255 && (seen += histogram[median]) < (n + 1) / 2; median++) { }
        if (_rowLevel.Length < gh) { _rowLevel = new float[gh]; _rowSpread = new float[gh]; }
        Array.Fill(_rowLevel, median, 0, gh);
        Array.Clear(_rowSpread, 0, gh);
        (_modelRows, _modelColumns, _frames) = (gh, gw, 0);
    }

    /// <summary>Moves each row's belt level and spread towards this frame's cells that were in no blob (0 after the fill).</summary>
    private void LearnBelt(int gw, int gh)
    {
        _frames++;
        // Fast at first (a plain average of the frames so far), then an exponential average.
        float rate = Math.Max(Adaptation, 1f / _frames);
        for (int gy = 0; gy < gh; gy++)
        {
            int count = 0;
            long sum = 0;
            for (int i = gy * gw, end = i + gw; i < end; i++)
                if (_bright[i] == 0) { count++; sum += _gray[i]; }
            // A row mostly covered by parts says little about the belt: keep what was learnt.
            if (count < gw / 4) continue;
            float mean = (float)sum / count, spread = 0;
            for (int i = gy * gw, end = i + gw; i < end; i++)
                if (_bright[i] == 0) spread += Math.Abs(_gray[i] - mean);
            spread /= count;
            _rowLevel[gy] += rate * (mean - _rowLevel[gy]);
            _rowSpread[gy] += rate * (spread - _rowSpread[gy]);
        }
    }
}
