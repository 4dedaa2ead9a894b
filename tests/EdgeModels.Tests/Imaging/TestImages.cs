using System.Buffers.Binary;
using System.IO.Compression;
using Edge.Models.Imaging;

namespace Edge.Models.Tests.Imaging;

/// <summary>Deterministic images and pixel comparisons for the imaging tests.</summary>
internal static class TestImages
{
    /// <summary>Smooth diagonal gradients, a different one per channel.</summary>
    public static ImageBuffer Gradient(int width, int height, PixelFormat format, int stride = 0)
    {
        var image = new ImageBuffer(width, height, format, stride);
        int bpp = format.BytesPerPixel();
        for (int y = 0; y < height; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < width; x++)
                for (int c = 0; c < bpp; c++)
                    row[x * bpp + c] = c switch
                    {
                        0 => (byte)(255 * x / Math.Max(1, width - 1)),
                        1 => (byte)(255 * y / Math.Max(1, height - 1)),
                        2 => (byte)(255 * (x + y) / Math.Max(1, width + height - 2)),
                        _ => (byte)(128 + 127 * x / Math.Max(1, width - 1)),
                    };
        }
        return image;
    }

    public static ImageBuffer Noise(int width, int height, PixelFormat format, int seed, int stride = 0)
    {
        var image = new ImageBuffer(width, height, format, stride);
        var random = new Random(seed);
        for (int y = 0; y < height; y++) random.NextBytes(image.Row(y));
        return image;
    }

    public static ImageBuffer FromPixels(int width, int height, PixelFormat format, params byte[] pixels)
    {
        var image = new ImageBuffer(width, height, format);
        int rowBytes = width * format.BytesPerPixel();
        for (int y = 0; y < height; y++) pixels.AsSpan(y * rowBytes, rowBytes).CopyTo(image.Row(y));
        return image;
    }

    /// <summary>Rows only (stride padding ignored).</summary>
    public static byte[] Pixels(ImageBuffer image)
    {
        int rowBytes = image.Width * image.BytesPerPixel;
        var pixels = new byte[rowBytes * image.Height];
        for (int y = 0; y < image.Height; y++) image.Row(y).CopyTo(pixels.AsSpan(y * rowBytes));
        return pixels;
    }

    public static void AssertSamePixels(ImageBuffer expected, ImageBuffer actual)
    {
        Assert.Equal((expected.Width, expected.Height, expected.Format), (actual.Width, actual.Height, actual.Format));
        for (int y = 0; y < expected.Height; y++)
            Assert.True(expected.Row(y).SequenceEqual(actual.Row(y)), $"row {y} differs");
    }

    public static double MeanAbsoluteError(ImageBuffer a, ImageBuffer b)
    {
        long sum = 0;
        for (int y = 0; y < a.Height; y++)
        {
            var ra = a.Row(y);
            var rb = b.Row(y);
            for (int i = 0; i < ra.Length; i++) sum += Math.Abs(ra[i] - rb[i]);
        }
        return (double)sum / (a.Height * a.Width * a.BytesPerPixel);
    }
}

/// <summary>
/// A deliberately simple PNG writer, independent of the codec under test: samples at any bit depth,
/// every filter type (row y uses filter y % 5 unless told otherwise), Adam7, and ways to break the file.
/// </summary>
internal sealed class PngBuilder
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required int BitDepth { get; init; }
    /// <summary>0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.</summary>
    public required int ColorType { get; init; }
    /// <summary>Channel samples of pixel (x, y), each 0 .. 2^BitDepth-1.</summary>
    public required Func<int, int, int[]> Sample { get; init; }
    public bool Interlaced { get; init; }
    public byte[]? Palette { get; init; }
    public byte[]? Transparency { get; init; }
    public Func<int, int> FilterForRow { get; init; } = y => y % 5;
    /// <summary>Scanlines to leave out of the compressed data (to make IDAT end early).</summary>
    public int DropLastRows { get; init; }

    private int Channels => ColorType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };

    public byte[] Build()
    {
        var scanlines = new MemoryStream();
        if (!Interlaced)
        {
            WritePass(scanlines, 0, 0, 1, 1);
        }
        else
        {
            int[] adam7 = [0, 0, 8, 8, 4, 0, 8, 8, 0, 4, 4, 8, 2, 0, 4, 4, 0, 2, 2, 4, 1, 0, 2, 2, 0, 1, 1, 2];
            for (int p = 0; p < adam7.Length; p += 4) WritePass(scanlines, adam7[p], adam7[p + 1], adam7[p + 2], adam7[p + 3]);
        }
        var raw = scanlines.ToArray();
        if (DropLastRows > 0) raw = raw[..(raw.Length - DropLastRows * (1 + RowBytes(Width)))];
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        var idat = compressed.ToArray();

        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), Height);
        ihdr[8] = (byte)BitDepth;
        ihdr[9] = (byte)ColorType;
        ihdr[12] = (byte)(Interlaced ? 1 : 0);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "tEXt", "Comment\0built by the tests"u8.ToArray());
        if (Palette is not null) Chunk(png, "PLTE", Palette);
        if (Transparency is not null) Chunk(png, "tRNS", Transparency);
        // Two IDAT chunks: decoders must join them.
        int half = idat.Length / 2;
        Chunk(png, "IDAT", idat[..half]);
        Chunk(png, "IDAT", idat[half..]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    public static void Chunk(Stream png, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        png.Write(head);
        png.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc([.. head[4..], .. data]));
        png.Write(crc);
    }

    /// <summary>Bit-at-a-time CRC-32, the textbook definition.</summary>
    public static uint Crc(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    private int RowBytes(int width) => (width * Channels * BitDepth + 7) / 8;

    private void WritePass(Stream output, int x0, int y0, int dx, int dy)
    {
        int width = (Width - x0 + dx - 1) / dx;
        if (width == 0 || (Height - y0 + dy - 1) / dy == 0) return;
        int bpp = Math.Max(1, Channels * BitDepth / 8);
        var prev = new byte[RowBytes(width)];
        for (int y = y0; y < Height; y += dy)
        {
            var cur = new byte[prev.Length];
            int bit = 0;
            for (int x = x0; x < Width; x += dx)
                foreach (int s in Sample(x, y))
                {
                    for (int k = BitDepth - 1; k >= 0; k--, bit++)
                        if (((s >> k) & 1) != 0) cur[bit >> 3] |= (byte)(0x80 >> (bit & 7));
                }
            int filter = FilterForRow(y);
            output.WriteByte((byte)filter);
            for (int i = 0; i < cur.Length; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                int predicted = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    _ => Paeth(a, b, c),
                };
                output.WriteByte((byte)(cur[i] - predicted));
            }
            prev = cur;
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
