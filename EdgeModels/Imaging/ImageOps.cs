using System.Buffers;

namespace Edge.Models.Imaging;

/// <summary>Whole-image operations into a caller-owned destination (reset to fit, its array reused).</summary>
public static class ImageOps
{
    /// <summary>Converts pixels; alpha is composited over white when <paramref name="format"/> is opaque.</summary>
    public static void ConvertFormat(ImageBuffer src, ImageBuffer dst, PixelFormat format)
    {
        CheckPair(src, dst);
        dst.Reset(src.Width, src.Height, format);
        for (int y = 0; y < src.Height; y++)
            PixelRows.Convert(src.Row(y), src.Format, dst.Row(y), format, src.Width);
    }

    /// <summary>Bilinear resize with OpenCV INTER_LINEAR's pixel mapping, rounded to 8 bits; keeps the format.</summary>
    public static void ResizeBilinear(ImageBuffer src, ImageBuffer dst, int width, int height)
    {
        CheckPair(src, dst);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        dst.Reset(width, height, src.Format);
        int bpp = src.BytesPerPixel;
        int[] offsets = ScratchPool<int>.Shared.Rent(2 * width);
        float[] weights = ScratchPool<float>.Shared.Rent(width);
        try
        {
            double scaleX = BilinearMap.Scale(src.Width, width), scaleY = BilinearMap.Scale(src.Height, height);
            for (int x = 0; x < width; x++)
            {
                weights[x] = BilinearMap.Map(x, scaleX, src.Width, out int x0, out int x1);
                offsets[2 * x] = x0 * bpp;
                offsets[2 * x + 1] = x1 * bpp;
            }
            for (int y = 0; y < height; y++)
            {
                float fy = BilinearMap.Map(y, scaleY, src.Height, out int y0, out int y1);
                ReadOnlySpan<byte> top = src.Row(y0), bottom = src.Row(y1);
                var row = dst.Row(y);
                for (int x = 0, o = 0; x < width; x++)
                {
                    int a = offsets[2 * x], b = offsets[2 * x + 1];
                    float fx = weights[x];
                    for (int c = 0; c < bpp; c++, o++)
                    {
                        float t = top[a + c] + (top[b + c] - top[a + c]) * fx;
                        float u = bottom[a + c] + (bottom[b + c] - bottom[a + c]) * fx;
                        row[o] = (byte)(t + (u - t) * fy + 0.5f);
                    }
                }
            }
        }
        finally
        {
            ScratchPool<int>.Shared.Return(offsets);
            ScratchPool<float>.Shared.Return(weights);
        }
    }

    public static void Rotate180(ImageBuffer src, ImageBuffer dst)
    {
        CheckPair(src, dst);
        dst.Reset(src.Width, src.Height, src.Format);
        int bpp = src.BytesPerPixel, w = src.Width;
        for (int y = 0; y < src.Height; y++)
        {
            ReadOnlySpan<byte> from = src.Row(y);
            var to = dst.Row(src.Height - 1 - y);
            for (int x = 0; x < w; x++)
                from.Slice(x * bpp, bpp).CopyTo(to[((w - 1 - x) * bpp)..]);
        }
    }

    /// <summary>Turns the image a quarter clockwise: the left column becomes the top row.</summary>
    public static void Rotate90Clockwise(ImageBuffer src, ImageBuffer dst)
    {
        CheckPair(src, dst);
        dst.Reset(src.Height, src.Width, src.Format);
        int bpp = src.BytesPerPixel;
        for (int y = 0; y < src.Height; y++)
        {
            ReadOnlySpan<byte> from = src.Row(y);
            int column = (src.Height - 1 - y) * bpp;
            for (int x = 0; x < src.Width; x++)
                from.Slice(x * bpp, bpp).CopyTo(dst.Row(x)[column..]);
        }
    }

    /// <summary>Turns the image a quarter counter-clockwise: the top row becomes the left column.</summary>
    public static void Rotate90CounterClockwise(ImageBuffer src, ImageBuffer dst)
    {
        CheckPair(src, dst);
        dst.Reset(src.Height, src.Width, src.Format);
        int bpp = src.BytesPerPixel;
        for (int y = 0; y < src.Height; y++)
        {
            ReadOnlySpan<byte> from = src.Row(y);
            for (int x = 0; x < src.Width; x++)
                from.Slice(x * bpp, bpp).CopyTo(dst.Row(src.Width - 1 - x)[(y * bpp)..]);
        }
    }

    public static void Crop(ImageBuffer src, int x, int y, int width, int height, ImageBuffer dst)
    {
        CheckPair(src, dst);
        if (x < 0 || y < 0 || width <= 0 || height <= 0 || x > src.Width - width || y > src.Height - height)
            throw new ArgumentOutOfRangeException(nameof(width), $"crop {width}x{height} at ({x},{y}) does not fit in a {src.Width}x{src.Height} image");
        dst.Reset(width, height, src.Format);
        int bpp = src.BytesPerPixel;
        for (int r = 0; r < height; r++)
            src.Row(y + r).Slice(x * bpp, width * bpp).CopyTo(dst.Row(r));
    }

    private static void CheckPair(ImageBuffer src, ImageBuffer dst)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(dst);
        if (ReferenceEquals(src, dst)) throw new ArgumentException("source and destination must be different images", nameof(dst));
        if (src.Width <= 0 || src.Height <= 0) throw new ArgumentException("source image is empty", nameof(src));
    }
}
