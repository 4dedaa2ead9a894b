using Edge.Models.Imaging;
using Edge.Models.Synthetic;

namespace Edge.Models.Tests.Synthetic;

public class ImageWarpTests
{
    [Fact]
    public void Rotate_by_zero_is_identity()
    {
        using var src = Pattern(37, 23);
        using var dst = new ImageBuffer();
        ImageWarp.Rotate(src, dst, 0, 0, 0, 0);
        Assert.Equal((37, 23), (dst.Width, dst.Height));
        Assert.Equal(0, MaxDifference(src, dst));
    }

    [Fact]
    public void Rotate_by_180_twice_returns_the_original()
    {
        using var src = Pattern(41, 30);
        using var once = new ImageBuffer();
        using var twice = new ImageBuffer();
        ImageWarp.Rotate(src, once, 180, 0, 0, 0);
        ImageWarp.Rotate(once, twice, 180, 0, 0, 0);
        Assert.Equal((41, 30), (once.Width, once.Height));
        Assert.Equal(src.Row(0)[..3].ToArray(), once.Row(29).Slice(40 * 3, 3).ToArray());
        Assert.True(MaxDifference(src, twice) <= 1);
    }

    [Fact]
    public void Rotate_by_90_turns_counter_clockwise_and_swaps_the_sides()
    {
        using var src = new ImageBuffer(4, 2, PixelFormat.Gray8);
        src.Data.Clear();
        src.Row(0)[3] = 200;   // top-right
        using var dst = new ImageBuffer();
        ImageWarp.Rotate(src, dst, 90, 0, 0, 0);
        Assert.Equal((2, 4), (dst.Width, dst.Height));
        Assert.Equal(200, dst.Row(0)[0]);   // counter-clockwise: top-right lands top-left
    }

    [Fact]
    public void Rotate_expands_the_canvas_and_fills_corners_with_the_background()
    {
        using var src = Solid(200, 100, 250, 250, 250);
        using var dst = new ImageBuffer();
        ImageWarp.Rotate(src, dst, 15, 10, 20, 30);
        double rad = 15 * Math.PI / 180;
        Assert.Equal((int)Math.Ceiling(200 * Math.Cos(rad) + 100 * Math.Sin(rad)), dst.Width);
        Assert.Equal((int)Math.Ceiling(200 * Math.Sin(rad) + 100 * Math.Cos(rad)), dst.Height);
        Assert.Equal([10, 20, 30], dst.Row(0)[..3].ToArray());
        Assert.Equal([250, 250, 250], dst.Row(dst.Height / 2).Slice(dst.Width / 2 * 3, 3).ToArray());
    }

    [Fact]
    public void Perspective_with_identity_corners_is_near_identity()
    {
        using var src = Pattern(50, 40);
        using var dst = new ImageBuffer(50, 40, PixelFormat.Rgb24);
        ImageWarp.Perspective(src, dst, [(0, 0), (50, 0), (50, 40), (0, 40)], 0, 0, 0);
        Assert.True(MaxDifference(src, dst) <= 1);
    }

    [Fact]
    public void Perspective_places_the_card_inside_its_corners_and_background_outside()
    {
        using var src = Solid(100, 60, 200, 20, 30);
        using var dst = new ImageBuffer(160, 120, PixelFormat.Rgb24);
        ImageWarp.Perspective(src, dst, [(40, 20), (130, 30), (120, 100), (30, 90)], 240, 240, 240);
        Assert.Equal([200, 20, 30], dst.Row(60).Slice(80 * 3, 3).ToArray());
        Assert.Equal([240, 240, 240], dst.Row(5).Slice(5 * 3, 3).ToArray());
        Assert.Equal([240, 240, 240], dst.Row(110).Slice(150 * 3, 3).ToArray());
        Assert.Equal([200, 20, 30], dst.Row(24).Slice(45 * 3, 3).ToArray());   // just inside the top-left corner
    }

    [Fact]
    public void Perspective_rejects_degenerate_corners()
    {
        using var src = Solid(10, 10, 0, 0, 0);
        using var dst = new ImageBuffer(10, 10, PixelFormat.Rgb24);
        Assert.Throws<ArgumentException>(() => ImageWarp.Perspective(src, dst, [(0, 0), (5, 5), (10, 10), (0, 0)], 0, 0, 0));
    }

    [Fact]
    public void Gaussian_blur_keeps_flat_areas_flat_and_softens_an_edge()
    {
        using var img = Solid(40, 20, 100, 100, 100);
        for (int y = 0; y < 20; y++) img.Row(y)[(20 * 3)..].Fill(200);
        ImageWarp.GaussianBlur(img, 1.2);
        Assert.Equal(100, img.Row(10)[2 * 3]);
        Assert.Equal(200, img.Row(10)[38 * 3]);
        Assert.InRange(img.Row(10)[19 * 3], 101, 199);
        Assert.InRange(img.Row(10)[20 * 3], 101, 199);
    }

    [Fact]
    public void Noise_is_reproducible_for_a_seed_and_bounded_by_the_amplitude()
    {
        using var a = Solid(30, 30, 128, 128, 128);
        using var b = Solid(30, 30, 128, 128, 128);
        ImageWarp.AddNoise(a, new Random(5), 6);
        ImageWarp.AddNoise(b, new Random(5), 6);
        Assert.True(a.Data.SequenceEqual(b.Data));
        Assert.All(a.Data.ToArray(), v => Assert.InRange(v, 122, 134));
        Assert.Contains(a.Data.ToArray(), v => v != 128);
    }

    internal static ImageBuffer Pattern(int width, int height)
    {
        var image = new ImageBuffer(width, height, PixelFormat.Rgb24);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                (image.Row(y)[x * 3], image.Row(y)[x * 3 + 1], image.Row(y)[x * 3 + 2]) = ((byte)(x * 7 + y), (byte)(y * 11), (byte)((x ^ y) * 5));
        return image;
    }

    private static ImageBuffer Solid(int width, int height, byte r, byte g, byte b)
    {
        var image = new ImageBuffer(width, height, PixelFormat.Rgb24);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) (image.Row(y)[x * 3], image.Row(y)[x * 3 + 1], image.Row(y)[x * 3 + 2]) = (r, g, b);
        return image;
    }

    private static int MaxDifference(ImageBuffer a, ImageBuffer b)
    {
        Assert.Equal((a.Width, a.Height, a.Format), (b.Width, b.Height, b.Format));
        int max = 0;
        for (int y = 0; y < a.Height; y++)
        {
            var ra = a.Row(y);
            var rb = b.Row(y);
            for (int i = 0; i < ra.Length; i++) max = Math.Max(max, Math.Abs(ra[i] - rb[i]));
        }
        return max;
    }
}
