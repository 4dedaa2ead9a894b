using Edge.Agent.Devices.Simulation;
using Edge.Models.Imaging;

namespace Edge.Agent.Tests.Devices.Displays;

/// <summary>Test pictures with no symmetry, so a mirrored or turned frame cannot pass for the original.</summary>
internal static class DisplayTestImages
{
    public static ImageBuffer Gradient(int width, int height, int seed = 0)
    {
        var image = new ImageBuffer(width, height, PixelFormat.Rgb24);
        for (int y = 0; y < height; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < width; x++)
            {
                row[3 * x] = (byte)(x * 255 / (width - 1));
                row[3 * x + 1] = (byte)(y * 255 / (height - 1));
                row[3 * x + 2] = (byte)((x * 7 + y * 13 + seed) & 0xFF);
            }
        }
        // A white block in the top-left corner marks orientation for a person looking at the PNG.
        for (int y = 8; y < 40; y++)
            image.Row(y).Slice(8 * 3, 16 * 3).Fill(255);
        return image;
    }

    /// <summary>What the panel shows for an RGB24 image: each pixel through RGB565 and back by bit replication.</summary>
    public static ImageBuffer QuantisedTo565(ImageBuffer source)
    {
        var image = new ImageBuffer(source.Width, source.Height, PixelFormat.Rgb24);
        for (int y = 0; y < source.Height; y++)
        {
            var src = source.Row(y);
            var dst = image.Row(y);
            for (int x = 0; x < source.Width; x++)
            {
                int r = src[3 * x], g = src[3 * x + 1], b = src[3 * x + 2];
                ushort v = (ushort)(((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3));
                (dst[3 * x], dst[3 * x + 1], dst[3 * x + 2]) = St7789Emulator.Expand565(v);
            }
        }
        return image;
    }

    public static ImageBuffer RandomBits(int seed)
    {
        var random = new Random(seed);
        var image = new ImageBuffer(128, 64, PixelFormat.Gray8);
        for (int y = 0; y < 64; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < 128; x++) row[x] = random.Next(2) == 0 ? (byte)0 : (byte)255;
        }
        return image;
    }

    /// <summary>The first differing pixel, or null when both images hold the same pixels.</summary>
    public static string? FirstDifference(ImageBuffer expected, ImageBuffer actual)
    {
        if (expected.Width != actual.Width || expected.Height != actual.Height || expected.Format != actual.Format)
            return $"expected {expected.Width}x{expected.Height} {expected.Format}, got {actual.Width}x{actual.Height} {actual.Format}";
        int bpp = expected.BytesPerPixel;
        for (int y = 0; y < expected.Height; y++)
        {
            var e = expected.Row(y);
            var a = actual.Row(y);
            int i = e.CommonPrefixLength(a);
            if (i < e.Length)
                return $"pixel ({i / bpp},{y}) differs: expected {Convert.ToHexString(e.Slice(i / bpp * bpp, bpp))}, got {Convert.ToHexString(a.Slice(i / bpp * bpp, bpp))}";
        }
        return null;
    }

    public static string OutputFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "edge-display-tests");
        Directory.CreateDirectory(folder);
        return folder;
    }
}
