using System.Diagnostics;
using Edge.Models.Imaging;
using Edge.Models.Tests.Support;
using Xunit.Abstractions;

namespace Edge.Models.Tests.Imaging;

public class TensorWriterTests(ITestOutputHelper output)
{
    private static readonly ChannelNormalization Identity = new(1, 0, 1, 0, 1, 0, SwapRB: false);

    // PaddleOCR detection: ImageNet mean/std on the BGR image.
    private static readonly ChannelNormalization Detection =
        ChannelNormalization.FromMeanStd([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], swapRB: true);

    [Theory]
    [InlineData(1280, 960, 960, 736, 960)]   // detection-sized downscale
    [InlineData(640, 480, 320, 240, 320)]    // exact halving
    [InlineData(37, 23, 100, 48, 100)]       // upscale, odd sizes
    [InlineData(200, 31, 157, 48, 320)]      // recognition crop padded to the batch width
    [InlineData(1, 1, 7, 5, 9)]              // a single pixel
    [InlineData(5, 3, 5, 3, 5)]              // same size
    [InlineData(999, 3, 13, 17, 16)]         // mixed: wide down, tall up
    public void Simd_path_matches_the_scalar_reference(int srcW, int srcH, int dstW, int dstH, int tensorW)
    {
        foreach (var format in new[] { PixelFormat.Rgb24, PixelFormat.Bgr24 })
        foreach (var norm in new[] { Detection, Identity with { SwapRB = true }, ChannelNormalization.FromMeanStd([0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f], false) })
        {
            using var source = TestImages.Noise(srcW, srcH, format, seed: srcW + dstW, stride: srcW * 3 + 7);
            var fast = new float[3 * tensorW * dstH];
            var reference = new float[fast.Length];
            fast.AsSpan().Fill(float.NaN);
            TensorWriter.ResizeNormalizeToChw(source, dstW, dstH, tensorW, -7f, norm, fast);
            TensorWriterReference.ResizeNormalizeToChw(source, dstW, dstH, tensorW, -7f, norm, reference);
            for (int i = 0; i < fast.Length; i++)
                if (!(Math.Abs(fast[i] - reference[i]) <= 1e-4f))
                    Assert.Fail($"{format}, element {i} (c{i / (tensorW * dstH)}, y{i % (tensorW * dstH) / tensorW}, x{i % tensorW}): fast {fast[i]} vs reference {reference[i]}");
        }
    }

    [Fact]
    public void Upscaling_follows_opencv_half_pixel_centres()
    {
        using var row = TestImages.FromPixels(2, 1, PixelFormat.Rgb24, 0, 0, 0, 255, 255, 255);
        var tensor = new float[3 * 4];
        TensorWriter.ResizeNormalizeToChw(row, 4, 1, Identity, tensor);
        Assert.Equal([0f, 63.75f, 191.25f, 255f], tensor[..4]);
    }

    [Fact]
    public void SwapRB_puts_blue_in_channel_0()
    {
        using var rgb = TestImages.FromPixels(1, 1, PixelFormat.Rgb24, 10, 20, 30);
        var tensor = new float[3];
        TensorWriter.ResizeNormalizeToChw(rgb, 1, 1, Identity with { SwapRB = true }, tensor);
        Assert.Equal([30f, 20f, 10f], tensor);
        TensorWriter.ResizeNormalizeToChw(rgb, 1, 1, Identity, tensor);
        Assert.Equal([10f, 20f, 30f], tensor);

        // SwapRB reverses the source's memory order, whatever it is.
        using var bgr = TestImages.FromPixels(1, 1, PixelFormat.Bgr24, 30, 20, 10);
        TensorWriter.ResizeNormalizeToChw(bgr, 1, 1, Identity with { SwapRB = true }, tensor);
        Assert.Equal([10f, 20f, 30f], tensor);
    }

    [Fact]
    public void Normalisation_is_per_output_channel_from_mean_and_std()
    {
        using var white = TestImages.FromPixels(1, 1, PixelFormat.Rgb24, 255, 0, 255);
        var tensor = new float[3];
        var norm = ChannelNormalization.FromMeanStd([0.5f, 0.25f, 0f], [0.5f, 0.25f, 2f], swapRB: false);
        TensorWriter.ResizeNormalizeToChw(white, 1, 1, norm, tensor);
        Assert.Equal(1f, tensor[0], 5);
        Assert.Equal(-1f, tensor[1], 5);
        Assert.Equal(0.5f, tensor[2], 5);
        Assert.Throws<ArgumentException>(() => ChannelNormalization.FromMeanStd([0f, 0f], [1f, 1f], false));
        Assert.Throws<ArgumentException>(() => ChannelNormalization.FromMeanStd([0f, 0f, 0f], [1f, 0f, 1f], false));
    }

    [Fact]
    public void Padding_columns_get_the_pad_value()
    {
        using var source = TestImages.Noise(30, 10, PixelFormat.Rgb24, seed: 1);
        const int width = 20, tensorWidth = 32, height = 8;
        var tensor = new float[3 * tensorWidth * height];
        TensorWriter.ResizeNormalizeToChw(source, width, height, tensorWidth, 0.25f, Identity, tensor);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
            {
                var row = tensor.AsSpan(c * tensorWidth * height + y * tensorWidth, tensorWidth);
                Assert.All(row[width..].ToArray(), v => Assert.Equal(0.25f, v));
                Assert.All(row[..width].ToArray(), v => Assert.InRange(v, 0f, 255f));
            }
    }

    [Fact]
    public void Arguments_that_do_not_fit_are_refused()
    {
        using var source = TestImages.Noise(8, 8, PixelFormat.Rgb24, seed: 1);
        using var gray = TestImages.Noise(8, 8, PixelFormat.Gray8, seed: 1);
        Assert.Throws<ArgumentException>(() => TensorWriter.ResizeNormalizeToChw(source, 4, 4, Identity, new float[47]));
        Assert.Throws<ArgumentException>(() => TensorWriter.ResizeNormalizeToChw(gray, 4, 4, Identity, new float[48]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorWriter.ResizeNormalizeToChw(source, 4, 4, 3, 0f, Identity, new float[48]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorWriter.ResizeNormalizeToChw(source, 0, 4, Identity, new float[48]));
    }

    [Fact]
    public void Steady_state_call_allocates_nothing()
    {
        using var source = TestImages.Noise(1280, 960, PixelFormat.Rgb24, seed: 1);
        var tensor = new float[3 * 960 * 736];
        var allocations = Allocations.SteadyState(() => TensorWriter.ResizeNormalizeToChw(source, 960, 736, Detection, tensor), warmUp: 3, windows: 3, callsPerWindow: 2);
        Assert.True(allocations.Bytes == 0, allocations.ToString());
    }

    [Fact]
    public void Reports_the_time_to_prepare_a_detection_tensor()
    {
        using var source = TestImages.Noise(1280, 960, PixelFormat.Rgb24, seed: 1);
        var tensor = new float[3 * 960 * 736];
        for (int i = 0; i < 5; i++) TensorWriter.ResizeNormalizeToChw(source, 960, 736, Detection, tensor);
        const int runs = 30;
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            TensorWriter.ResizeNormalizeToChw(source, 960, 736, Detection, tensor);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        output.WriteLine($"1280x960 Rgb24 -> 3x736x960 CHW: median {times[runs / 2]:F2} ms, best {times[0]:F2} ms " +
            $"(Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture})");
    }
}
