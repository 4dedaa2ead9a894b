using Edge.Models.Ocr;
using Edge.Models.Tests.Support;

namespace Edge.Models.Tests.Ocr;

public class GeometryTests
{
    [Fact]
    public void Min_area_rect_of_an_axis_aligned_box_is_the_box()
    {
        PointF[] hull = [new(10, 20), new(50, 20), new(50, 30), new(10, 30)];
        var r = RotatedRect.MinAreaOf(hull);
        Assert.Equal(400, r.Area, 1);
        Assert.Equal(new PointF(30, 25), r.Center);
        var q = r.ToQuad();
        Assert.Equal(new PointF(10, 20), q.P0);
        Assert.Equal(new PointF(50, 20), q.P1);
        Assert.Equal(new PointF(50, 30), q.P2);
        Assert.Equal(new PointF(10, 30), q.P3);
    }

    [Fact]
    public void Min_area_rect_finds_a_rotated_rectangle()
    {
        // A 40x10 rectangle turned 30 degrees.
        float c = MathF.Cos(MathF.PI / 6), s = MathF.Sin(MathF.PI / 6);
        PointF R(float u, float v) => new(100 + u * c - v * s, 100 + u * s + v * c);
        PointF[] pts = [R(-20, -5), R(20, -5), R(20, 5), R(-20, 5)];
        var r = RotatedRect.MinAreaOf(pts);
        Assert.Equal(400, r.Area, 0.5);
        Assert.Equal(10, r.ShortSide, 0.01);
    }

    [Fact]
    public void Convex_hull_drops_interior_points()
    {
        PointF[] sorted = [new(0, 0), new(5, 0), new(10, 0), new(2, 5), new(0, 10), new(10, 10)];
        var hull = new PointF[sorted.Length + 1];
        int n = RotatedRect.ConvexHull(sorted, hull);
        Assert.Equal(4, n);
        Assert.DoesNotContain(new PointF(2, 5), hull.AsSpan(0, n).ToArray());
    }

    [Fact]
    public void Turning_a_quad_twice_counter_clockwise_reads_it_upside_down()
    {
        var q = new Quad(new(0, 0), new(10, 0), new(10, 4), new(0, 4));
        Assert.Equal(q.Rotated180, q.RotatedCounterClockwise.RotatedCounterClockwise);
        Assert.Equal(4, q.RotatedCounterClockwise.Width);
        Assert.Equal(10, q.RotatedCounterClockwise.Height);
    }

    [Fact]
    public void Homography_maps_the_unit_square_onto_the_quad_corners()
    {
        var q = new Quad(new(10, 12), new(90, 5), new(100, 60), new(4, 70));
        var h = Homography.UnitSquareTo(q);
        Assert.Equal(q.P0, Round(h.Map(0, 0)));
        Assert.Equal(q.P1, Round(h.Map(1, 0)));
        Assert.Equal(q.P2, Round(h.Map(1, 1)));
        Assert.Equal(q.P3, Round(h.Map(0, 1)));
    }

    private static PointF Round(PointF p) => new(MathF.Round(p.X, 3), MathF.Round(p.Y, 3));
}

public class DbPostProcessorTests
{
    private static float[] Map(int w, int h, params (int X0, int Y0, int X1, int Y1, float P)[] blobs)
    {
        var prob = new float[w * h];
        foreach (var (x0, y0, x1, y1, p) in blobs)
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++)
                    prob[y * w + x] = p;
        return prob;
    }

    [Fact]
    public void Finds_each_text_blob_scales_it_to_the_source_and_unclips_it()
    {
        var prob = Map(200, 100, (20, 10, 119, 29, 0.9f), (20, 60, 79, 79, 0.8f));
        var regions = new List<TextRegion>();
        new DbPostProcessor().Process(prob, 200, 100, 400, 200, regions);
        DbPostProcessor.SortReadingOrder(regions);
        Assert.Equal(2, regions.Count);
        var first = regions[0];
        Assert.Equal(0.9f, first.Score, 3);
        // 99x19 rect, unclip distance = area*2/perimeter = 99*19*2/236 ≈ 15.94, then x2 for the source scale.
        Assert.InRange(first.Box.P0.X, 2 * (20 - 16.5f), 2 * (20 - 15.5f));
        Assert.InRange(first.Box.P2.Y, 2 * (29 + 15.5f), 2 * (29 + 16.5f));
        Assert.True(regions[1].Box.P0.Y > first.Box.P0.Y);
    }

    [Fact]
    public void Ignores_weak_and_tiny_regions()
    {
        var prob = Map(100, 100, (10, 10, 60, 20, 0.4f), (70, 70, 71, 71, 0.99f));
        var regions = new List<TextRegion>();
        new DbPostProcessor().Process(prob, 100, 100, 100, 100, regions);
        Assert.Empty(regions);
    }

    [Fact]
    public void Two_side_by_side_columns_stay_two_regions()
    {
        var prob = Map(200, 300, (40, 20, 69, 279, 0.9f), (110, 20, 139, 279, 0.9f));
        var regions = new List<TextRegion>();
        new DbPostProcessor().Process(prob, 200, 300, 200, 300, regions);
        Assert.Equal(2, regions.Count);
        Assert.All(regions, r => Assert.True(r.Box.Height > 3 * r.Box.Width));
    }

    [Fact]
    public void Reading_order_puts_boxes_on_one_line_left_to_right()
    {
        var regions = new List<TextRegion>
        {
            new(new Quad(new(200, 14), new(300, 14), new(300, 30), new(200, 30)), 1),
            new(new Quad(new(10, 50), new(100, 50), new(100, 70), new(10, 70)), 1),
            new(new Quad(new(10, 10), new(100, 10), new(100, 30), new(10, 30)), 1),
        };
        DbPostProcessor.SortReadingOrder(regions);
        Assert.Equal([10f, 200f, 10f], regions.Select(r => r.Box.P0.X));
        Assert.Equal(50f, regions[2].Box.P0.Y);
    }

    [Fact]
    public void Steady_state_processing_allocates_nothing()
    {
        var prob = Map(320, 160, (20, 10, 200, 40, 0.9f), (20, 80, 150, 120, 0.8f));
        var regions = new List<TextRegion>(16);
        var post = new DbPostProcessor();
        var allocations = Allocations.SteadyState(() =>
        {
            regions.Clear();
            post.Process(prob, 320, 160, 640, 320, regions);
            DbPostProcessor.SortReadingOrder(regions);
        });
        Assert.True(allocations.Bytes == 0, allocations.ToString());
    }
}

public class OcrAccuracyTests
{
    [Fact]
    public void Edit_distance_counts_substitutions_insertions_and_deletions()
    {
        Assert.Equal(0, OcrAccuracy.EditDistance("新年快乐", "新年快乐"));
        Assert.Equal(1, OcrAccuracy.EditDistance("新年快乐", "新年快东"));
        Assert.Equal(1, OcrAccuracy.EditDistance("新年快乐", "新年快"));
        Assert.Equal(2, OcrAccuracy.EditDistance("", "ab"));
    }

    [Fact]
    public void Score_pairs_lines_regardless_of_order_and_counts_extra_lines()
    {
        var (errors, chars) = OcrAccuracy.Score(["春回大地千山秀", "日照神州万木荣"], ["日照神州万木荣", "春回大地千山秀", "福"]);
        Assert.Equal(14, chars);
        Assert.Equal(1, errors);
    }
}
