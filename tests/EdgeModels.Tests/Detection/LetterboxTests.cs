using Edge.Models.Detection;
using Edge.Models.Imaging;
using Edge.Models.Tests.Imaging;
using Edge.Models.Tests.Support;

namespace Edge.Models.Tests.Detection;

public class LetterboxTests
{
    private static readonly ChannelNormalization Yolo = ChannelNormalization.FromMeanStd([0f, 0f, 0f], [1f, 1f, 1f], swapRB: false);

    [Fact]
    public void A_wide_image_is_scaled_to_the_input_width_and_centred_vertically()
    {
        var t = LetterboxTransform.Fit(1280, 720, 640, 640);

        Assert.Equal(new LetterboxTransform(1280, 720, 640, 640, 640, 360, 0, 140), t);
        Assert.Equal(140, t.PadBottom);
        Assert.Equal(0.5f, t.ScaleX);
    }

    [Fact]
    public void An_odd_padding_puts_the_extra_pixel_at_the_bottom_as_ultralytics_does()
    {
        // ratio 0.64: 499 rows become round(319.36) = 319, leaving 321 rows of padding.
        var t = LetterboxTransform.Fit(1000, 499, 640, 640);

        Assert.Equal((640, 319), (t.ResizedWidth, t.ResizedHeight));
        Assert.Equal((160, 161), (t.PadTop, t.PadBottom));
        Assert.Equal(319f / 499f, t.ScaleY);
    }

    [Fact]
    public void Resized_sizes_round_half_to_even_as_python_does()
    {
        // 105 × 3.2 = 336; 5 × 0.5 = 2.5 rounds to 2, not 3.
        Assert.Equal(336, LetterboxTransform.Fit(200, 105, 640, 640).ResizedHeight);
        Assert.Equal(2, LetterboxTransform.Fit(10, 5, 5, 5).ResizedHeight);
    }

    [Fact]
    public void Dynamic_inputs_round_each_side_up_to_the_stride()
    {
        var t = LetterboxTransform.FitDynamic(1280, 720, 640);

        Assert.Equal(new LetterboxTransform(1280, 720, 640, 384, 640, 360, 0, 12), t);
    }

    [Fact]
    public void Stretch_scales_each_axis_on_its_own_without_padding()
    {
        var t = LetterboxTransform.Stretch(800, 400, 640, 640);

        Assert.Equal((0.8f, 1.6f), (t.ScaleX, t.ScaleY));
        Assert.Equal((0, 0, 0, 0), (t.PadLeft, t.PadTop, t.PadRight, t.PadBottom));
    }

    [Theory]
    [InlineData(1000, 499, 640, 640)]
    [InlineData(333, 777, 640, 640)]
    [InlineData(17, 9, 320, 256)]
    public void A_box_mapped_into_the_input_and_back_lands_where_it_started(int w, int h, int inW, int inH)
    {
        var t = LetterboxTransform.Fit(w, h, inW, inH);
        var random = new Random(w);
        for (int i = 0; i < 50; i++)
        {
            float x1 = random.NextSingle() * w, y1 = random.NextSingle() * h;
            float x2 = x1 + random.NextSingle() * (w - x1), y2 = y1 + random.NextSingle() * (h - y1);
            var (ix1, iy1) = t.ToInput(x1, y1);
            var (ix2, iy2) = t.ToInput(x2, y2);
            t.BoxToSource(ref ix1, ref iy1, ref ix2, ref iy2);
            Assert.Equal(x1, ix1, 0.001f * w);
            Assert.Equal(y1, iy1, 0.001f * h);
            Assert.Equal(x2, ix2, 0.001f * w);
            Assert.Equal(y2, iy2, 0.001f * h);
        }
    }

    [Fact]
    public void Boxes_reaching_into_the_padding_are_clipped_to_the_image()
    {
        var t = LetterboxTransform.Fit(1000, 499, 640, 640);
        float x1 = -5, y1 = 10, x2 = 700, y2 = 630;

        t.BoxToSource(ref x1, ref y1, ref x2, ref y2);

        Assert.Equal((0f, 0f, 1000f, 499f), (x1, y1, x2, y2));
    }

    [Theory]
    [InlineData(50, 25, 64, 64)]   // padded top and bottom
    [InlineData(25, 50, 64, 64)]   // padded left and right
    [InlineData(63, 64, 64, 64)]   // one column, on the right only
    [InlineData(64, 64, 64, 64)]   // no padding
    public void The_tensor_holds_the_resized_image_at_its_offset_and_grey_114_around_it(int w, int h, int inW, int inH)
    {
        using var image = TestImages.Noise(w, h, PixelFormat.Rgb24, seed: w + h);
        var t = LetterboxTransform.Fit(w, h, inW, inH);
        var tensor = new float[3 * inW * inH];
        tensor.AsSpan().Fill(float.NaN);

        Letterbox.WriteChw(image, t, Letterbox.YoloPadValue, Yolo, tensor);

        int rw = t.ResizedWidth, rh = t.ResizedHeight;
        var resized = new float[3 * rw * rh];
        TensorWriter.ResizeNormalizeToChw(image, rw, rh, Yolo, resized);
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < inH; y++)
        for (int x = 0; x < inW; x++)
        {
            bool inside = x >= t.PadLeft && x < t.PadLeft + rw && y >= t.PadTop && y < t.PadTop + rh;
            float want = inside ? resized[c * rw * rh + (y - t.PadTop) * rw + x - t.PadLeft] : 114 * Yolo.Scale0 + Yolo.Bias0;
            Assert.Equal(want, tensor[c * inW * inH + y * inW + x]);
        }
    }

    [Fact]
    public void Asymmetric_padding_on_both_axes_is_filled_exactly_around_the_image()
    {
        using var image = TestImages.Noise(9, 9, PixelFormat.Bgr24, seed: 6);
        var t = new LetterboxTransform(9, 9, 16, 12, 7, 7, 3, 2); // pads: left 3, right 6, top 2, bottom 3
        var tensor = new float[3 * 16 * 12];
        tensor.AsSpan().Fill(float.NaN);
        var norm = Yolo with { SwapRB = true };

        Letterbox.WriteChw(image, t, 100, norm, tensor);

        var resized = new float[3 * 7 * 7];
        TensorWriter.ResizeNormalizeToChw(image, 7, 7, norm, resized);
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < 12; y++)
        for (int x = 0; x < 16; x++)
        {
            bool inside = x is >= 3 and < 10 && y is >= 2 and < 9;
            float want = inside ? resized[c * 49 + (y - 2) * 7 + x - 3] : 100 * norm.Scale0 + norm.Bias0;
            Assert.Equal(want, tensor[c * 192 + y * 16 + x]);
        }
    }

    [Fact]
    public void Writing_again_allocates_nothing()
    {
        using var image = TestImages.Noise(300, 200, PixelFormat.Rgb24, seed: 7);
        var t = LetterboxTransform.Fit(300, 200, 320, 320);
        var tensor = new float[3 * 320 * 320];
        var allocations = Allocations.SteadyState(() => Letterbox.WriteChw(image, t, 114, Yolo, tensor), warmUp: 1, callsPerWindow: 3);

        Assert.True(allocations.Bytes == 0, allocations.ToString());
    }
}
