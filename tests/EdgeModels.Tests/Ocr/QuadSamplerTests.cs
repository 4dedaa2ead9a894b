using Edge.Models.Imaging;
using Edge.Models.Ocr;

namespace Edge.Models.Tests.Ocr;

public class QuadSamplerTests
{
    private static readonly ChannelNormalization Identity = new(1, 0, 1, 0, 1, 0, SwapRB: false);

    /// <summary>An image whose pixel (x, y) is (x, y, 7) so samples say where they came from.</summary>
    private static ImageBuffer Ramp(int w, int h)
    {
        var img = new ImageBuffer(w, h, PixelFormat.Rgb24, stride: w * 3 + 5);
        for (int y = 0; y < h; y++)
        {
            var row = img.Row(y);
            for (int x = 0; x < w; x++) { row[3 * x] = (byte)x; row[3 * x + 1] = (byte)y; row[3 * x + 2] = 7; }
        }
        return img;
    }

    [Fact]
    public void An_axis_aligned_quad_at_its_own_size_copies_the_pixels_into_planes()
    {
        using var img = Ramp(40, 30);
        var quad = new Quad(new(10, 5), new(30, 5), new(30, 15), new(10, 15));
        var dst = new float[3 * 10 * 20];
        QuadSampler.SampleToChw(img, quad, 20, 10, 20, -1f, Identity, dst);
        // Output pixel i samples the quad at (i + ½) / width: 10.5, 11.5, … 29.5 across, 5.5 … 14.5 down.
        Assert.Equal(10.5f, dst[0], 0.01);
        Assert.Equal(5.5f, dst[200], 0.01);
        Assert.Equal(7f, dst[400], 0.01);
        Assert.Equal(29.5f, dst[19], 0.01);
        Assert.Equal(14.5f, dst[200 + 9 * 20], 0.01);
    }

    [Fact]
    public void Swapping_red_and_blue_reverses_the_source_bytes_like_the_tensor_writer()
    {
        using var img = Ramp(40, 30);
        var quad = new Quad(new(10, 5), new(30, 5), new(30, 15), new(10, 15));
        var dst = new float[3 * 10 * 20];
        QuadSampler.SampleToChw(img, quad, 20, 10, 20, 0f, Identity with { SwapRB = true }, dst);
        Assert.Equal(7f, dst[0], 0.01);
        Assert.Equal(10.5f, dst[400], 0.01);
    }

    [Fact]
    public void Corner_order_turns_the_region_upside_down_and_pads_the_rest_of_the_row()
    {
        using var img = Ramp(40, 30);
        var quad = new Quad(new(10, 5), new(30, 5), new(30, 15), new(10, 15));
        var upright = new float[3 * 10 * 32];
        var turned = new float[3 * 10 * 32];
        QuadSampler.SampleToChw(img, quad, 20, 10, 32, -1f, Identity, upright);
        QuadSampler.SampleToChw(img, quad.Rotated180, 20, 10, 32, -1f, Identity, turned);
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 20; x++)
                Assert.Equal(upright[y * 32 + x], turned[(9 - y) * 32 + (19 - x)], 0.01);
        Assert.All(upright.AsSpan(20, 12).ToArray(), v => Assert.Equal(-1f, v));
    }

    [Fact]
    public void A_patch_that_does_not_fit_its_row_is_refused()
    {
        using var img = Ramp(40, 30);
        var quad = new Quad(new(10, 5), new(30, 5), new(30, 15), new(10, 15));
        var dst = new float[3 * 10 * 20];
        Assert.Throws<ArgumentOutOfRangeException>(() => QuadSampler.SampleToChw(img, quad, 10, 20, 10, 20, 0f, false, Identity, dst));
        Assert.Throws<ArgumentException>(() => QuadSampler.SampleToChw(img, quad, 20, 10, 20, 0f, Identity, new float[10]));
    }
}
