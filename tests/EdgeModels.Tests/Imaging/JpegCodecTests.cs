using Edge.Models.Imaging;

namespace Edge.Models.Tests.Imaging;

public class JpegCodecTests
{
    [Theory]
    [InlineData(PixelFormat.Rgb24)]
    [InlineData(PixelFormat.Bgr24)]
    [InlineData(PixelFormat.Gray8)]
    [InlineData(PixelFormat.Rgba32)]
    public void Jpeg_round_trip_of_a_smooth_gradient_comes_back_close(PixelFormat format)
    {
        using var original = TestImages.Gradient(160, 120, format);
        if (format == PixelFormat.Rgba32)
            for (int y = 0; y < 120; y++)
                for (int x = 3; x < 160 * 4; x += 4) original.Row(y)[x] = 255; // JPEG has no alpha
        var jpeg = JpegCodec.Encode(original, quality: 90);
        Assert.True(jpeg is [0xFF, 0xD8, 0xFF, ..]);

        using var decoded = new ImageBuffer();
        JpegCodec.Decode(jpeg, decoded, format);
        Assert.Equal((160, 120, format), (decoded.Width, decoded.Height, decoded.Format));
        double error = TestImages.MeanAbsoluteError(original, decoded);
        Assert.True(error < 1.5, $"mean absolute error {error:F2}");
    }

    [Fact]
    public void Bgr24_decode_is_rgb_decode_with_channels_swapped()
    {
        using var original = TestImages.Gradient(64, 32, PixelFormat.Rgb24);
        var jpeg = JpegCodec.Encode(original);
        using var rgb = new ImageBuffer();
        using var bgr = new ImageBuffer();
        JpegCodec.Decode(jpeg, rgb, PixelFormat.Rgb24);
        JpegCodec.Decode(jpeg, bgr, PixelFormat.Bgr24);
        using var swapped = new ImageBuffer();
        ImageOps.ConvertFormat(bgr, swapped, PixelFormat.Rgb24);
        TestImages.AssertSamePixels(rgb, swapped);
    }

    [Fact]
    public void Jpeg_decodes_into_a_padded_stride_and_leaves_the_padding_alone()
    {
        using var original = TestImages.Gradient(50, 30, PixelFormat.Rgb24);
        var jpeg = JpegCodec.Encode(original);
        using var packed = new ImageBuffer();
        JpegCodec.Decode(jpeg, packed);

        using var padded = new ImageBuffer(50, 30, PixelFormat.Rgb24, stride: 160);
        padded.Data.Fill(0xCD);
        JpegCodec.Decode(jpeg, padded);
        Assert.Equal(160, padded.Stride);
        TestImages.AssertSamePixels(packed, padded);
        for (int y = 0; y < 30; y++) Assert.All(padded.Data.Slice(y * 160 + 150, 10).ToArray(), b => Assert.Equal(0xCD, b));
    }

    [Fact]
    public void Jpeg_encodes_a_padded_stride_image_like_a_packed_one()
    {
        using var packed = TestImages.Gradient(45, 21, PixelFormat.Bgr24);
        using var padded = new ImageBuffer(45, 21, PixelFormat.Bgr24, stride: 45 * 3 + 9);
        padded.Data.Fill(0xFF);
        for (int y = 0; y < 21; y++) packed.Row(y).CopyTo(padded.Row(y));
        Assert.Equal(JpegCodec.Encode(packed), JpegCodec.Encode(padded));
    }

    [Fact]
    public void Transparent_rgba_is_encoded_over_white()
    {
        using var clear = new ImageBuffer(16, 16, PixelFormat.Rgba32);
        clear.Data.Clear(); // black, alpha 0
        using var decoded = new ImageBuffer();
        JpegCodec.Decode(JpegCodec.Encode(clear), decoded, PixelFormat.Gray8);
        Assert.All(TestImages.Pixels(decoded), p => Assert.InRange(p, (byte)250, (byte)255));
    }

    [Fact]
    public void Corrupt_jpeg_gives_an_ImageDecodeException_with_libjpeg_turbo_message()
    {
        using var original = TestImages.Noise(128, 128, PixelFormat.Rgb24, seed: 6);
        var jpeg = JpegCodec.Encode(original); // noise: the cut lands in the entropy-coded data, not the tables
        using var target = new ImageBuffer();

        var truncated = Assert.Throws<ImageDecodeException>(() => JpegCodec.Decode(jpeg.AsSpan(0, jpeg.Length / 2), target));
        Assert.StartsWith("JPEG decode failed: ", truncated.Message);
        Assert.Contains("Premature end of JPEG file", truncated.Message);

        byte[] garbage = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x02, 0x13, 0x37];
        var header = Assert.Throws<ImageDecodeException>(() => JpegCodec.Decode(garbage, target));
        Assert.StartsWith("JPEG decode failed: ", header.Message);
        Assert.True(header.Message.Length > "JPEG decode failed: ".Length + 5, header.Message);

        // A failure must not poison the next decode on this thread.
        JpegCodec.Decode(jpeg, target);
        Assert.Equal((128, 128), (target.Width, target.Height));
    }

    [Fact]
    public void Jpeg_quality_outside_1_to_100_is_refused()
    {
        using var image = TestImages.Gradient(8, 8, PixelFormat.Rgb24);
        Assert.Throws<ArgumentOutOfRangeException>(() => JpegCodec.Encode(image, quality: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => JpegCodec.Encode(image, quality: 101));
    }
}
