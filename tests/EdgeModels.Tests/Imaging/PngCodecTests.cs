using Edge.Models.Imaging;
using Edge.Models.Tests.Support;

namespace Edge.Models.Tests.Imaging;

public class PngCodecTests
{
    [Theory]
    [InlineData(PixelFormat.Gray8)]
    [InlineData(PixelFormat.Rgb24)]
    [InlineData(PixelFormat.Bgr24)]
    [InlineData(PixelFormat.Rgba32)]
    public void Png_round_trip_is_lossless_for_every_format(PixelFormat format)
    {
        foreach (var original in new[] { TestImages.Noise(61, 37, format, seed: 7), TestImages.Gradient(64, 48, format) })
        {
            using (original)
            {
                using var decoded = new ImageBuffer();
                PngCodec.Decode(PngCodec.Encode(original), decoded, format);
                TestImages.AssertSamePixels(original, decoded);
            }
        }
    }

    [Fact]
    public void Bgr24_is_written_as_rgb()
    {
        using var bgr = TestImages.FromPixels(1, 1, PixelFormat.Bgr24, 10, 20, 30);
        using var rgb = new ImageBuffer();
        PngCodec.Decode(PngCodec.Encode(bgr), rgb, PixelFormat.Rgb24);
        Assert.Equal([30, 20, 10], TestImages.Pixels(rgb));
    }

    [Fact]
    public void Png_honours_padded_stride_when_encoding_and_decoding()
    {
        using var packed = TestImages.Noise(33, 17, PixelFormat.Rgb24, seed: 3);
        using var padded = new ImageBuffer(33, 17, PixelFormat.Rgb24, stride: 33 * 3 + 13);
        for (int y = 0; y < 17; y++) packed.Row(y).CopyTo(padded.Row(y));

        Assert.Equal(PngCodec.Encode(packed), PngCodec.Encode(padded));

        // A target already laid out for this width keeps its padded rows; the padding is left alone.
        using var target = new ImageBuffer(33, 1, PixelFormat.Rgb24, stride: 112);
        target.Reset(33, 17, PixelFormat.Rgb24, stride: 112);
        target.Data.Fill(0xAB);
        PngCodec.Decode(PngCodec.Encode(packed), target);
        Assert.Equal(112, target.Stride);
        TestImages.AssertSamePixels(packed, target);
        for (int y = 0; y < 17; y++) Assert.All(target.Data.Slice(y * 112 + 99, 13).ToArray(), b => Assert.Equal(0xAB, b));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Palette_png_decodes_at_every_bit_depth_with_trns_alpha(int depth)
    {
        int entries = 1 << depth;
        var palette = new byte[entries * 3];
        for (int i = 0; i < entries; i++) (palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]) = ((byte)(i * 7), (byte)(255 - i), (byte)(i * 13));
        byte[] alpha = [0, 128]; // entry 0 transparent, entry 1 half, the rest opaque
        var png = new PngBuilder
        {
            Width = 13, Height = 5, BitDepth = depth, ColorType = 3, Palette = palette, Transparency = alpha,
            Sample = (x, y) => [(x + 3 * y) % entries],
        }.Build();

        using var rgba = new ImageBuffer();
        PngCodec.Decode(png, rgba, PixelFormat.Rgba32);
        using var rgb = new ImageBuffer();
        PngCodec.Decode(png, rgb, PixelFormat.Rgb24);
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 13; x++)
            {
                int i = (x + 3 * y) % entries;
                byte a = i < alpha.Length ? alpha[i] : (byte)255;
                Assert.Equal(new[] { palette[3 * i], palette[3 * i + 1], palette[3 * i + 2], a }, rgba.Row(y).Slice(4 * x, 4).ToArray());
                var expected = Enumerable.Range(0, 3).Select(c => (byte)Math.Round((palette[3 * i + c] * a + 255.0 * (255 - a)) / 255)).ToArray();
                Assert.Equal(expected, rgb.Row(y).Slice(3 * x, 3).ToArray());
            }
    }

    [Fact]
    public void Sixteen_bit_rgb_png_keeps_the_high_byte()
    {
        var png = new PngBuilder
        {
            Width = 9, Height = 4, BitDepth = 16, ColorType = 2,
            Sample = (x, y) => [x * 7000 + 255, y * 16000, 65535 - x * 7000],
        }.Build();
        using var image = new ImageBuffer();
        PngCodec.Decode(png, image, PixelFormat.Rgb24);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 9; x++)
                Assert.Equal(new[] { (byte)((x * 7000 + 255) >> 8), (byte)((y * 16000) >> 8), (byte)((65535 - x * 7000) >> 8) }, image.Row(y).Slice(3 * x, 3).ToArray());
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void Gray_alpha_png_keeps_alpha_in_rgba_and_composites_over_white_otherwise(int depth)
    {
        int max = (1 << depth) - 1;
        var png = new PngBuilder
        {
            Width = 4, Height = 1, BitDepth = depth, ColorType = 4,
            Sample = (x, _) => [x == 3 ? max : 0, x * max / 3], // black at alpha 0, 1/3, 2/3; white opaque
        }.Build();
        using var rgba = new ImageBuffer();
        PngCodec.Decode(png, rgba, PixelFormat.Rgba32);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 85, 0, 0, 0, 170, 255, 255, 255, 255], TestImages.Pixels(rgba));
        using var gray = new ImageBuffer();
        PngCodec.Decode(png, gray, PixelFormat.Gray8);
        Assert.Equal([255, 170, 85, 255], TestImages.Pixels(gray));
    }

    [Theory]
    [InlineData(1, new byte[] { 0, 255, 0, 255 })]
    [InlineData(2, new byte[] { 0, 85, 170, 255 })]
    [InlineData(4, new byte[] { 0, 17, 34, 51 })]
    [InlineData(16, new byte[] { 0, 0, 0, 0 })]
    public void Low_and_high_bit_depth_gray_scales_to_eight_bits(int depth, byte[] expected)
    {
        var png = new PngBuilder { Width = 4, Height = 2, BitDepth = depth, ColorType = 0, Sample = (x, _) => [x % (1 << Math.Min(depth, 8))] }.Build();
        using var gray = new ImageBuffer();
        PngCodec.Decode(png, gray, PixelFormat.Gray8);
        Assert.Equal(expected.Concat(expected), TestImages.Pixels(gray));
    }

    [Fact]
    public void Rgb_colour_key_in_trns_makes_matching_pixels_transparent()
    {
        var png = new PngBuilder
        {
            Width = 2, Height = 1, BitDepth = 8, ColorType = 2, Transparency = [0, 10, 0, 20, 0, 30],
            Sample = (x, _) => x == 0 ? [10, 20, 30] : [10, 20, 31],
        }.Build();
        using var rgba = new ImageBuffer();
        PngCodec.Decode(png, rgba, PixelFormat.Rgba32);
        Assert.Equal([10, 20, 30, 0, 10, 20, 31, 255], TestImages.Pixels(rgba));
    }

    [Theory]
    [InlineData(1, 1, 2, 8)]
    [InlineData(3, 5, 6, 8)]
    [InlineData(17, 9, 0, 2)]
    [InlineData(33, 31, 2, 16)]
    [InlineData(8, 8, 3, 4)]
    [InlineData(10, 3, 4, 8)]
    public void Interlaced_png_decodes_to_the_same_pixels_as_the_plain_one(int width, int height, int colorType, int depth)
    {
        int channels = colorType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
        int max = (1 << depth) - 1;
        Func<int, int, int[]> sample = (x, y) => Enumerable.Range(0, channels).Select(c => (x * 31 + y * 17 + c * 50) % (max + 1)).ToArray();
        byte[]? palette = colorType == 3 ? Enumerable.Range(0, 3 << depth).Select(i => (byte)(i * 5)).ToArray() : null;
        var plain = new PngBuilder { Width = width, Height = height, BitDepth = depth, ColorType = colorType, Sample = sample, Palette = palette }.Build();
        var interlaced = new PngBuilder { Width = width, Height = height, BitDepth = depth, ColorType = colorType, Sample = sample, Palette = palette, Interlaced = true }.Build();

        using var expected = new ImageBuffer();
        using var actual = new ImageBuffer();
        PngCodec.Decode(plain, expected, PixelFormat.Rgba32);
        PngCodec.Decode(interlaced, actual, PixelFormat.Rgba32);
        TestImages.AssertSamePixels(expected, actual);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Every_filter_type_is_undone(int filter)
    {
        using var original = TestImages.Noise(19, 6, PixelFormat.Rgba32, seed: filter);
        var png = new PngBuilder
        {
            Width = 19, Height = 6, BitDepth = 8, ColorType = 6, FilterForRow = _ => filter,
            Sample = (x, y) => original.Row(y).Slice(4 * x, 4).ToArray().Select(b => (int)b).ToArray(),
        }.Build();
        using var decoded = new ImageBuffer();
        PngCodec.Decode(png, decoded, PixelFormat.Rgba32);
        TestImages.AssertSamePixels(original, decoded);
    }

    [Fact]
    public void Truncated_png_says_it_is_truncated()
    {
        using var image = TestImages.Noise(40, 40, PixelFormat.Rgb24, seed: 1);
        var png = PngCodec.Encode(image);
        using var target = new ImageBuffer();
        var e = Assert.Throws<ImageDecodeException>(() => PngCodec.Decode(png.AsSpan(0, png.Length / 2), target));
        Assert.StartsWith("truncated PNG: chunk IDAT", e.Message);
        e = Assert.Throws<ImageDecodeException>(() => PngCodec.Decode(png.AsSpan(0, png.Length - 12), target));
        Assert.Equal("truncated PNG: file ends before the IEND chunk", e.Message);
    }

    [Fact]
    public void Png_whose_image_data_stops_early_says_idat_ended_early()
    {
        var png = new PngBuilder { Width = 8, Height = 6, BitDepth = 8, ColorType = 0, Sample = (x, y) => [x * y], DropLastRows = 2 }.Build();
        using var target = new ImageBuffer();
        var e = Assert.Throws<ImageDecodeException>(() => PngCodec.Decode(png, target));
        Assert.Equal("truncated PNG: IDAT ended early (row 4 of 6)", e.Message);
    }

    [Fact]
    public void Bad_crc_names_the_chunk()
    {
        using var image = TestImages.Gradient(8, 8, PixelFormat.Rgb24);
        var png = PngCodec.Encode(image);
        png[17] ^= 0x01; // inside IHDR's width field
        var e = Assert.Throws<ImageDecodeException>(() => PngCodec.Decode(png, new ImageBuffer()));
        Assert.StartsWith("PNG CRC mismatch in chunk IHDR", e.Message);
    }

    [Fact]
    public void Random_bytes_and_a_gif_header_are_not_taken_for_png()
    {
        var random = new byte[256];
        new Random(5).NextBytes(random);
        random[0] = 0x12;
        var e = Assert.Throws<ImageDecodeException>(() => PngCodec.Decode(random, new ImageBuffer()));
        Assert.StartsWith("not a PNG (starts with 12 ", e.Message);
        e = Assert.Throws<ImageDecodeException>(() => PngCodec.Decode("GIF89a\x01\0\x01\0"u8, new ImageBuffer()));
        Assert.Equal("not a PNG (starts with 47 49 46 38)", e.Message);
    }

    [Fact]
    public void Random_bytes_after_a_png_signature_give_a_decode_error()
    {
        var random = new Random(11);
        for (int i = 0; i < 50; i++)
        {
            var data = new byte[8 + random.Next(0, 200)];
            random.NextBytes(data);
            PngCodec.Signature.CopyTo(data);
            Assert.Throws<ImageDecodeException>(() => PngCodec.Decode(data, new ImageBuffer()));
        }
    }

    [Fact]
    public void Damaged_chunks_with_valid_crcs_fail_only_with_ImageDecodeException()
    {
        var palette = Enumerable.Range(0, 48).Select(i => (byte)(i * 5)).ToArray();
        var png = new PngBuilder
        {
            Width = 23, Height = 19, BitDepth = 4, ColorType = 3, Palette = palette, Interlaced = true,
            Sample = (x, y) => [(x ^ y) & 15],
        }.Build();
        var random = new Random(17);
        using var target = new ImageBuffer();
        for (int i = 0; i < 300; i++)
        {
            var damaged = RewriteChunk(png, i % 3 == 0 ? "IHDR" : "IDAT", data =>
            {
                for (int k = random.Next(1, 4); k > 0; k--) data[random.Next(data.Length)] ^= (byte)random.Next(1, 256);
            });
            try
            {
                PngCodec.Decode(damaged, target, PixelFormat.Rgba32);
            }
            catch (ImageDecodeException)
            {
            }
        }
    }

    /// <summary>Changes the first chunk of a type and recomputes its CRC, so only the decoder's own checks can catch it.</summary>
    private static byte[] RewriteChunk(byte[] png, string type, Action<byte[]> change)
    {
        var copy = (byte[])png.Clone();
        for (int pos = 8; pos < copy.Length;)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(copy.AsSpan(pos));
            if (System.Text.Encoding.ASCII.GetString(copy, pos + 4, 4) == type)
            {
                var data = copy.AsSpan(pos + 8, length).ToArray();
                change(data);
                data.CopyTo(copy, pos + 8);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(pos + 8 + length), PngBuilder.Crc([.. copy.AsSpan(pos + 4, 4), .. data]));
                break;
            }
            pos += 12 + length;
        }
        return copy;
    }

    [Theory]
    [InlineData(16385, 1, "PNG is 16385x1 pixels, over the limit of 16384 per side and 100 megapixels")]
    [InlineData(12000, 9000, "PNG is 12000x9000 pixels, over the limit of 16384 per side and 100 megapixels")]
    public void Oversized_png_is_refused_before_decoding(int width, int height, string message)
    {
        // The header alone is enough: the image data is never reached.
        var png = new MemoryStream();
        png.Write(PngCodec.Signature);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        PngBuilder.Chunk(png, "IHDR", ihdr);
        PngBuilder.Chunk(png, "IEND", []);
        var e = Assert.Throws<ImageDecodeException>(() => PngCodec.Decode(png.ToArray(), new ImageBuffer()));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Invalid_filter_type_names_the_row()
    {
        var png = new PngBuilder { Width = 4, Height = 3, BitDepth = 8, ColorType = 0, Sample = (x, y) => [x], FilterForRow = y => y == 1 ? 9 : 0 }.Build();
        var e = Assert.Throws<ImageDecodeException>(() => PngCodec.Decode(png, new ImageBuffer()));
        Assert.Equal("corrupt PNG: row 1 uses filter type 9 (only 0-4 exist)", e.Message);
    }

    [Fact]
    public void Decoding_into_a_reused_target_allocates_little_beyond_zlib()
    {
        using var image = TestImages.Noise(512, 512, PixelFormat.Rgb24, seed: 2);
        var png = PngCodec.Encode(image);
        using var target = new ImageBuffer();
        var allocations = Allocations.SteadyState(() => PngCodec.Decode(png, target), warmUp: 3, windows: 3, callsPerWindow: 1);
        Assert.True(allocations.Bytes < 4096, $"decoding a 768 KB image: {allocations}");
    }
}
