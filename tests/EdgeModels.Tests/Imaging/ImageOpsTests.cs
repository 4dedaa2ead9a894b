using Edge.Models.Imaging;

namespace Edge.Models.Tests.Imaging;

public class ImageOpsTests
{
    // 3x2 grey image:  1 2 3
    //                  4 5 6
    private static ImageBuffer Small() => TestImages.FromPixels(3, 2, PixelFormat.Gray8, 1, 2, 3, 4, 5, 6);

    [Fact]
    public void Rotate90Clockwise_turns_the_left_column_into_the_top_row()
    {
        using var src = Small();
        using var dst = new ImageBuffer();
        ImageOps.Rotate90Clockwise(src, dst);
        Assert.Equal((2, 3), (dst.Width, dst.Height));
        Assert.Equal([4, 1, 5, 2, 6, 3], TestImages.Pixels(dst));
    }

    [Fact]
    public void Rotate90CounterClockwise_turns_the_top_row_into_the_left_column()
    {
        using var src = Small();
        using var dst = new ImageBuffer();
        ImageOps.Rotate90CounterClockwise(src, dst);
        Assert.Equal((2, 3), (dst.Width, dst.Height));
        Assert.Equal([3, 6, 2, 5, 1, 4], TestImages.Pixels(dst));
    }

    [Fact]
    public void Rotate180_reverses_rows_and_columns()
    {
        using var src = Small();
        using var dst = new ImageBuffer();
        ImageOps.Rotate180(src, dst);
        Assert.Equal([6, 5, 4, 3, 2, 1], TestImages.Pixels(dst));
    }

    [Theory]
    [InlineData(PixelFormat.Rgb24)]
    [InlineData(PixelFormat.Rgba32)]
    public void Four_quarter_turns_and_two_half_turns_give_back_the_image(PixelFormat format)
    {
        using var original = TestImages.Noise(13, 7, format, seed: 4, stride: 13 * format.BytesPerPixel() + 5);
        using var a = new ImageBuffer();
        using var b = new ImageBuffer();
        ImageOps.Rotate90Clockwise(original, a);
        ImageOps.Rotate90Clockwise(a, b);
        ImageOps.Rotate90Clockwise(b, a);
        ImageOps.Rotate90Clockwise(a, b);
        TestImages.AssertSamePixels(original, b);
        ImageOps.Rotate90CounterClockwise(original, a);
        ImageOps.Rotate90Clockwise(a, b);
        TestImages.AssertSamePixels(original, b);
        ImageOps.Rotate180(original, a);
        ImageOps.Rotate180(a, b);
        TestImages.AssertSamePixels(original, b);
    }

    [Fact]
    public void Crop_copies_the_region_and_refuses_one_that_does_not_fit()
    {
        using var src = TestImages.Noise(10, 8, PixelFormat.Bgr24, seed: 9, stride: 40);
        using var dst = new ImageBuffer();
        ImageOps.Crop(src, 2, 3, 5, 4, dst);
        Assert.Equal((5, 4, PixelFormat.Bgr24), (dst.Width, dst.Height, dst.Format));
        for (int y = 0; y < 4; y++) Assert.Equal(src.Row(y + 3).Slice(6, 15).ToArray(), dst.Row(y).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageOps.Crop(src, 6, 0, 5, 1, dst));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageOps.Crop(src, -1, 0, 5, 1, dst));
        Assert.Throws<ArgumentException>(() => ImageOps.Crop(src, 0, 0, 1, 1, src));
    }

    [Fact]
    public void ConvertFormat_swaps_channels_composites_alpha_and_computes_luma()
    {
        using var rgba = TestImages.FromPixels(3, 1, PixelFormat.Rgba32, 255, 0, 0, 255, 0, 0, 0, 0, 10, 20, 30, 128);
        using var bgr = new ImageBuffer();
        ImageOps.ConvertFormat(rgba, bgr, PixelFormat.Bgr24);
        // Opaque red; transparent black becomes white; half-transparent blends toward white.
        Assert.Equal([0, 0, 255, 255, 255, 255, 142, 137, 132], TestImages.Pixels(bgr));

        using var gray = new ImageBuffer();
        ImageOps.ConvertFormat(bgr, gray, PixelFormat.Gray8);
        Assert.Equal([76, 255, 136], TestImages.Pixels(gray));

        using var back = new ImageBuffer();
        ImageOps.ConvertFormat(gray, back, PixelFormat.Rgb24);
        Assert.Equal([76, 76, 76, 255, 255, 255, 136, 136, 136], TestImages.Pixels(back));
    }

    [Fact]
    public void Rgb_to_bgr_and_back_is_exact()
    {
        using var original = TestImages.Noise(17, 5, PixelFormat.Rgb24, seed: 1);
        using var bgr = new ImageBuffer();
        using var rgb = new ImageBuffer();
        ImageOps.ConvertFormat(original, bgr, PixelFormat.Bgr24);
        ImageOps.ConvertFormat(bgr, rgb, PixelFormat.Rgb24);
        TestImages.AssertSamePixels(original, rgb);
    }

    [Fact]
    public void ResizeBilinear_to_the_same_size_is_a_copy_and_matches_opencv_when_upscaling()
    {
        using var noise = TestImages.Noise(9, 4, PixelFormat.Rgb24, seed: 2);
        using var same = new ImageBuffer();
        ImageOps.ResizeBilinear(noise, same, 9, 4);
        TestImages.AssertSamePixels(noise, same);

        // OpenCV: cv2.resize(np.array([[0, 255]], np.uint8), (4, 1)) == [[0, 64, 191, 255]]
        using var row = TestImages.FromPixels(2, 1, PixelFormat.Gray8, 0, 255);
        using var wide = new ImageBuffer();
        ImageOps.ResizeBilinear(row, wide, 4, 1);
        Assert.Equal([0, 64, 191, 255], TestImages.Pixels(wide));
    }

    [Fact]
    public void ResizeBilinear_agrees_with_the_tensor_writer_to_rounding()
    {
        using var src = TestImages.Noise(37, 29, PixelFormat.Rgb24, seed: 8);
        using var dst = new ImageBuffer();
        ImageOps.ResizeBilinear(src, dst, 23, 41);
        var tensor = new float[3 * 23 * 41];
        TensorWriter.ResizeNormalizeToChw(src, 23, 41, new ChannelNormalization(1, 0, 1, 0, 1, 0, false), tensor);
        for (int y = 0; y < 41; y++)
            for (int x = 0; x < 23; x++)
                for (int c = 0; c < 3; c++)
                    Assert.InRange(dst.Row(y)[3 * x + c] - tensor[c * 23 * 41 + y * 23 + x], -0.5001f, 0.5001f);
    }
}
