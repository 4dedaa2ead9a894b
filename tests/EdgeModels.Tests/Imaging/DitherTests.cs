using Edge.Models.Imaging;

namespace Edge.Models.Tests.Imaging;

public class DitherTests
{
    private static ImageBuffer Flat(int width, int height, byte gray)
    {
        var image = new ImageBuffer(width, height, PixelFormat.Gray8);
        image.Data.Fill(gray);
        return image;
    }

    private static double BlackFraction(Bitmap1 bitmap) => (double)bitmap.CountBlack() / ((long)bitmap.Width * bitmap.Height);

    private static double MeanDarkness(ImageBuffer gray)
    {
        double sum = 0;
        for (int y = 0; y < gray.Height; y++)
            foreach (byte v in gray.Row(y)) sum += 1 - v / 255.0;
        return sum / ((double)gray.Width * gray.Height);
    }

    [Theory]
    [InlineData(DitherMethod.FloydSteinberg, true)]
    [InlineData(DitherMethod.FloydSteinberg, false)]
    [InlineData(DitherMethod.Atkinson, true)]
    public void Half_gray_becomes_about_half_black_dots(DitherMethod method, bool serpentine)
    {
        using var gray = Flat(384, 200, 128);
        var dots = Dither.ToBitmap(gray, new DitherOptions { Method = method, Serpentine = serpentine });
        Assert.Equal((384, 200), (dots.Width, dots.Height));
        Assert.InRange(BlackFraction(dots), 0.48, 0.52);
    }

    [Theory]
    [InlineData(DitherMethod.FloydSteinberg, 0.02)]
    [InlineData(DitherMethod.Atkinson, 0.05)]
    public void Error_diffusion_keeps_the_mean_gray_level_of_a_gradient(DitherMethod method, double tolerance)
    {
        using var gradient = TestImages.Gradient(300, 160, PixelFormat.Gray8);
        var dots = Dither.ToBitmap(gradient, new DitherOptions { Method = method });
        Assert.InRange(BlackFraction(dots), MeanDarkness(gradient) - tolerance, MeanDarkness(gradient) + tolerance);
    }

    [Fact]
    public void Error_diffusion_keeps_each_flat_level_within_a_few_percent()
    {
        foreach (byte level in new byte[] { 16, 64, 100, 160, 200, 240 })
        {
            using var gray = Flat(200, 100, level);
            var dots = Dither.ToBitmap(gray);
            double expected = 1 - level / 255.0;
            Assert.True(Math.Abs(BlackFraction(dots) - expected) < 0.02, $"level {level}: {BlackFraction(dots):F3} black, expected {expected:F3}");
        }
    }

    [Fact]
    public void Threshold_makes_dark_pixels_black_and_light_pixels_white()
    {
        using var image = TestImages.FromPixels(4, 1, PixelFormat.Gray8, 0, 127, 128, 255);
        var dots = Dither.ToBitmap(image, new DitherOptions { Method = DitherMethod.Threshold });
        Assert.Equal([true, true, false, false], Enumerable.Range(0, 4).Select(x => dots[x, 0]));
        Assert.Equal(0b1100_0000, dots.Row(0)[0]);
    }

    [Fact]
    public void Fitting_a_wide_photo_to_58mm_paper_keeps_its_aspect_ratio()
    {
        using var photo = TestImages.Gradient(1000, 500, PixelFormat.Rgb24);
        var dots = Dither.ToBitmap(photo, new DitherOptions { TargetWidth = 384 });
        Assert.Equal((384, 192), (dots.Width, dots.Height));
        Assert.Equal(48, dots.Stride);
    }

    [Fact]
    public void Area_averaging_turns_a_fine_checkerboard_into_half_gray()
    {
        // Without averaging, halving a 1-pixel checkerboard picks one phase and prints all black or all white.
        using var checker = new ImageBuffer(1152, 400, PixelFormat.Gray8);
        for (int y = 0; y < checker.Height; y++)
        {
            var row = checker.Row(y);
            for (int x = 0; x < row.Length; x++) row[x] = ((x + y) & 1) == 0 ? (byte)0 : (byte)255;
        }
        var dots = Dither.ToBitmap(checker, new DitherOptions { TargetWidth = 576 });
        Assert.Equal((576, 200), (dots.Width, dots.Height));
        Assert.InRange(BlackFraction(dots), 0.48, 0.52);
    }

    [Fact]
    public void Narrow_images_are_scaled_up_to_the_head_width()
    {
        using var gray = Flat(96, 50, 0);
        var dots = Dither.ToBitmap(gray, new DitherOptions { TargetWidth = 384 });
        Assert.Equal((384, 200), (dots.Width, dots.Height));
        Assert.Equal(1.0, BlackFraction(dots));
    }

    [Fact]
    public void Rgb_is_reduced_to_luminance_so_pure_red_prints_darker_than_pure_green()
    {
        using var red = new ImageBuffer(100, 100, PixelFormat.Rgb24);
        using var green = new ImageBuffer(100, 100, PixelFormat.Rgb24);
        red.Data.Clear(); green.Data.Clear(); // pooled buffers start dirty
        for (int i = 0; i < 100 * 100; i++) { red.Data[i * 3] = 255; green.Data[i * 3 + 1] = 255; }
        double redBlack = BlackFraction(Dither.ToBitmap(red));
        double greenBlack = BlackFraction(Dither.ToBitmap(green));
        Assert.InRange(redBlack, 0.68, 0.72);   // luma 0.30
        Assert.InRange(greenBlack, 0.39, 0.43); // luma 0.59
    }

    [Fact]
    public void Gamma_above_one_lightens_midtones_for_dark_printing_heads()
    {
        using var gray = Flat(200, 100, 128);
        double plain = BlackFraction(Dither.ToBitmap(gray));
        double lighter = BlackFraction(Dither.ToBitmap(gray, new DitherOptions { Gamma = 1.8 }));
        Assert.True(lighter < plain - 0.15, $"gamma 1.8 gave {lighter:F3} black vs {plain:F3}");
    }

    [Fact]
    public void Contrast_pushes_light_grays_towards_white()
    {
        using var gray = Flat(200, 100, 180);
        double plain = BlackFraction(Dither.ToBitmap(gray));
        double contrasty = BlackFraction(Dither.ToBitmap(gray, new DitherOptions { Contrast = 1.5 }));
        Assert.True(contrasty < plain, $"contrast 1.5 gave {contrasty:F3} black vs {plain:F3}");
    }

    [Fact]
    public void Reusing_a_target_resizes_it_and_leaves_no_dots_from_before()
    {
        var target = new Bitmap1(8, 8);
        using var black = Flat(64, 64, 0);
        Dither.ToBitmap(black, target);
        using var white = Flat(32, 16, 255);
        Dither.ToBitmap(white, target);
        Assert.Equal((32, 16, 0L), (target.Width, target.Height, target.CountBlack()));
    }

    [Fact]
    public void Bad_options_are_named()
    {
        using var gray = Flat(8, 8, 0);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Dither.ToBitmap(gray, new DitherOptions { Gamma = 0 }));
        Assert.Equal("Gamma", e.ParamName);
    }

    [Fact]
    public void Bitmap1_packs_the_leftmost_dot_into_the_high_bit_and_clears_row_padding()
    {
        var bitmap = Bitmap1.FromPacked(10, 2, [0xFF, 0xFF, 0x80, 0x40]);
        Assert.Equal(2, bitmap.Stride);
        Assert.Equal([0xFF, 0xC0, 0x80, 0x40], bitmap.Data.ToArray());
        Assert.True(bitmap[0, 1]);
        Assert.True(bitmap[9, 1]);
        Assert.False(bitmap[8, 1]);
    }
}
