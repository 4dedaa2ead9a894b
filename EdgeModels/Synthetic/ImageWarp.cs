using System.Buffers;
using Edge.Models.Imaging;

namespace Edge.Models.Synthetic;

/// <summary>
/// Geometric warps and photographic degradations for synthetic samples. Pixel centres sit at
/// (x + 0.5, y + 0.5); warps inverse-map every destination pixel and sample bilinearly, treating
/// everything outside the source as the background colour so edges come out anti-aliased.
/// Works on every <see cref="PixelFormat"/>; Rgba32 backgrounds are opaque.
/// </summary>
public static class ImageWarp
{
    /// <summary>
    /// Rotates <paramref name="src"/> about its centre by <paramref name="degrees"/>, counter-clockwise
    /// on screen for positive angles. <paramref name="dst"/> is resized to the smallest canvas that
    /// holds the whole rotated image, in <paramref name="src"/>'s format.
    /// </summary>
    public static void Rotate(ImageBuffer src, ImageBuffer dst, double degrees, byte bgR, byte bgG, byte bgB)
    {
        CheckPair(src, dst);
        var (cos, sin) = CosSin(degrees);
        int width = (int)Math.Ceiling(Math.Abs(src.Width * cos) + Math.Abs(src.Height * sin) - 1e-6);
        int height = (int)Math.Ceiling(Math.Abs(src.Width * sin) + Math.Abs(src.Height * cos) - 1e-6);
        dst.Reset(width, height, src.Format);

        Span<byte> bg = stackalloc byte[4];
        Background(src.Format, bgR, bgG, bgB, bg);
        double scx = src.Width / 2.0, scy = src.Height / 2.0, dcx = width / 2.0, dcy = height / 2.0;
        for (int y = 0; y < height; y++)
        {
            var row = dst.Row(y);
            double dy = y + 0.5 - dcy;
            for (int x = 0; x < width; x++)
            {
                double dx = x + 0.5 - dcx;
                // Inverse of the on-screen counter-clockwise rotation (y points down).
                double u = scx + dx * cos - dy * sin, v = scy + dx * sin + dy * cos;
                Sample(src, u - 0.5, v - 0.5, bg, row.Slice(x * src.BytesPerPixel, src.BytesPerPixel));
            }
        }
    }

    /// <summary>
    /// Maps <paramref name="src"/> so that its corners land on <paramref name="corners"/> in
    /// <paramref name="dst"/> (top-left, top-right, bottom-right, bottom-left, in dst pixels), as a
    /// camera sees a flat card at an angle. <paramref name="dst"/> keeps its size and must share
    /// <paramref name="src"/>'s format; pixels outside the card get the background colour.
    /// </summary>
    public static void Perspective(ImageBuffer src, ImageBuffer dst, ReadOnlySpan<(float X, float Y)> corners, byte bgR, byte bgG, byte bgB)
    {
        CheckPair(src, dst);
        if (corners.Length != 4) throw new ArgumentException($"need 4 corners, given {corners.Length}", nameof(corners));
        if (dst.Format != src.Format) throw new ArgumentException($"dst is {dst.Format} but src is {src.Format}", nameof(dst));

        // Homography from dst to src, so each dst pixel finds its source directly.
        ReadOnlySpan<(double X, double Y)> srcCorners = [(0, 0), (src.Width, 0), (src.Width, src.Height), (0, src.Height)];
        Span<(double X, double Y)> dstCorners = stackalloc (double, double)[4];
        for (int i = 0; i < 4; i++) dstCorners[i] = (corners[i].X, corners[i].Y);
        Span<double> h = stackalloc double[9];
        SolveHomography(dstCorners, srcCorners, h);

        Span<byte> bg = stackalloc byte[4];
        Background(src.Format, bgR, bgG, bgB, bg);
        int bpp = src.BytesPerPixel;
        for (int y = 0; y < dst.Height; y++)
        {
            var row = dst.Row(y);
            double py = y + 0.5;
            for (int x = 0; x < dst.Width; x++)
            {
                double px = x + 0.5;
                double w = h[6] * px + h[7] * py + h[8];
                var pixel = row.Slice(x * bpp, bpp);
                if (w <= 1e-12) { bg[..bpp].CopyTo(pixel); continue; }
                double u = (h[0] * px + h[1] * py + h[2]) / w, v = (h[3] * px + h[4] * py + h[5]) / w;
                Sample(src, u - 0.5, v - 0.5, bg, pixel);
            }
        }
    }

    /// <summary>Gaussian blur in place: two separable passes, edges clamped. Does nothing for sigma ≤ 0.</summary>
    public static void GaussianBlur(ImageBuffer img, double sigma)
    {
        ArgumentNullException.ThrowIfNull(img);
        if (sigma <= 0) return;
        int radius = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        Span<int> kernel = stackalloc int[2 * radius + 1];
        FixedPointKernel(sigma, kernel);

        int bpp = img.BytesPerPixel, rowBytes = img.Width * bpp;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(img.Height * img.Stride);   // one row for the first pass, the whole image for the second
        try
        {
            for (int y = 0; y < img.Height; y++)
            {
                var row = img.Row(y);
                var copy = scratch.AsSpan(0, rowBytes);
                row.CopyTo(copy);
                for (int x = 0; x < img.Width; x++)
                    for (int c = 0; c < bpp; c++)
                    {
                        int sum = 0;
                        for (int k = -radius; k <= radius; k++)
                            sum += kernel[k + radius] * copy[Math.Clamp(x + k, 0, img.Width - 1) * bpp + c];
                        row[x * bpp + c] = (byte)((sum + (1 << 15)) >> 16);
                    }
            }

            var all = scratch.AsSpan(0, img.Height * img.Stride);
            img.Data.CopyTo(all);
            for (int y = 0; y < img.Height; y++)
            {
                var row = img.Row(y);
                for (int i = 0; i < rowBytes; i++)
                {
                    int sum = 0;
                    for (int k = -radius; k <= radius; k++)
                        sum += kernel[k + radius] * all[Math.Clamp(y + k, 0, img.Height - 1) * img.Stride + i];
                    row[i] = (byte)((sum + (1 << 15)) >> 16);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Adds independent uniform noise in ±<paramref name="amplitude"/> to every colour channel
    /// (alpha untouched), like sensor noise. Reproducible for a seeded <paramref name="rng"/>.
    /// </summary>
    public static void AddNoise(ImageBuffer img, Random rng, int amplitude)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentNullException.ThrowIfNull(rng);
        if (amplitude <= 0) return;
        int bpp = img.BytesPerPixel, channels = img.Format == PixelFormat.Rgba32 ? 3 : bpp;
        for (int y = 0; y < img.Height; y++)
        {
            var row = img.Row(y);
            for (int p = 0; p < row.Length; p += bpp)
                for (int c = 0; c < channels; c++)
                    row[p + c] = (byte)Math.Clamp(row[p + c] + rng.Next(-amplitude, amplitude + 1), 0, 255);
        }
    }

    private static void CheckPair(ImageBuffer src, ImageBuffer dst)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(dst);
        if (ReferenceEquals(src, dst)) throw new ArgumentException("src and dst must be different images", nameof(dst));
    }

    /// <summary>cos/sin with exact values at multiples of 90°, so 90/180/270 neither blur nor grow the canvas.</summary>
    private static (double Cos, double Sin) CosSin(double degrees)
    {
        double quarter = degrees / 90;
        if (Math.Abs(quarter - Math.Round(quarter)) < 1e-9)
            return (((int)Math.Round(quarter) % 4 + 4) % 4) switch { 0 => (1, 0), 1 => (0, 1), 2 => (-1, 0), _ => (0, -1) };
        double radians = degrees * Math.PI / 180;
        return (Math.Cos(radians), Math.Sin(radians));
    }

    private static void Background(PixelFormat format, byte r, byte g, byte b, Span<byte> pixel)
    {
        switch (format)
        {
            case PixelFormat.Gray8: pixel[0] = (byte)((r * 299 + g * 587 + b * 114 + 500) / 1000); break;
            case PixelFormat.Rgb24: pixel[0] = r; pixel[1] = g; pixel[2] = b; break;
            case PixelFormat.Bgr24: pixel[0] = b; pixel[1] = g; pixel[2] = r; break;
            case PixelFormat.Rgba32: pixel[0] = r; pixel[1] = g; pixel[2] = b; pixel[3] = 255; break;
            default: throw new ArgumentOutOfRangeException(nameof(format), format, "unknown pixel format");
        }
    }

    /// <summary>Bilinear sample at pixel-index coordinates; neighbours outside the image read as <paramref name="bg"/>.</summary>
    private static void Sample(ImageBuffer src, double u, double v, ReadOnlySpan<byte> bg, Span<byte> pixel)
    {
        int bpp = pixel.Length;
        int x0 = (int)Math.Floor(u), y0 = (int)Math.Floor(v);
        if (x0 < -1 || y0 < -1 || x0 >= src.Width || y0 >= src.Height)
        {
            bg[..bpp].CopyTo(pixel);
            return;
        }
        double fx = u - x0, fy = v - y0;
        var top = y0 >= 0 ? src.Row(y0) : default;
        var bottom = y0 + 1 < src.Height ? src.Row(y0 + 1) : default;
        bool left = x0 >= 0, right = x0 + 1 < src.Width;
        for (int c = 0; c < bpp; c++)
        {
            double p00 = !top.IsEmpty && left ? top[x0 * bpp + c] : bg[c];
            double p10 = !top.IsEmpty && right ? top[(x0 + 1) * bpp + c] : bg[c];
            double p01 = !bottom.IsEmpty && left ? bottom[x0 * bpp + c] : bg[c];
            double p11 = !bottom.IsEmpty && right ? bottom[(x0 + 1) * bpp + c] : bg[c];
            double value = (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
            pixel[c] = (byte)Math.Clamp((int)(value + 0.5), 0, 255);
        }
    }

    /// <summary>Normalised Gaussian weights in 16.16 fixed point, summing to exactly 65536.</summary>
    private static void FixedPointKernel(double sigma, Span<int> kernel)
    {
        int radius = kernel.Length / 2;
        Span<double> weights = stackalloc double[kernel.Length];
        double total = 0;
        for (int k = -radius; k <= radius; k++) total += weights[k + radius] = Math.Exp(-k * k / (2 * sigma * sigma));
        int sum = 0;
        for (int i = 0; i < kernel.Length; i++) sum += kernel[i] = (int)Math.Round(weights[i] / total * 65536);
        kernel[radius] += 65536 - sum;   // put the rounding error in the centre so flat areas stay flat
    }

    /// <summary>Solves the 3×3 homography (h[8] = 1) mapping four <paramref name="from"/> points onto <paramref name="to"/>.</summary>
    private static void SolveHomography(ReadOnlySpan<(double X, double Y)> from, ReadOnlySpan<(double X, double Y)> to, Span<double> h)
    {
        Span<double> a = stackalloc double[8 * 9];   // 8 equations, 8 unknowns, augmented column
        for (int i = 0; i < 4; i++)
        {
            var (x, y) = from[i];
            var (u, v) = to[i];
            ReadOnlySpan<double> rowU = [x, y, 1, 0, 0, 0, -u * x, -u * y, u];
            ReadOnlySpan<double> rowV = [0, 0, 0, x, y, 1, -v * x, -v * y, v];
            rowU.CopyTo(a.Slice(2 * i * 9, 9));
            rowV.CopyTo(a.Slice((2 * i + 1) * 9, 9));
        }
        for (int col = 0; col < 8; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 8; r++)
                if (Math.Abs(a[r * 9 + col]) > Math.Abs(a[pivot * 9 + col])) pivot = r;
            if (Math.Abs(a[pivot * 9 + col]) < 1e-9) throw new ArgumentException("corners are degenerate (three in a line or two coincide)", "corners");
            if (pivot != col)
                for (int k = 0; k < 9; k++) (a[col * 9 + k], a[pivot * 9 + k]) = (a[pivot * 9 + k], a[col * 9 + k]);
            for (int r = 0; r < 8; r++)
            {
                if (r == col) continue;
                double f = a[r * 9 + col] / a[col * 9 + col];
                if (f == 0) continue;
                for (int k = col; k < 9; k++) a[r * 9 + k] -= f * a[col * 9 + k];
            }
        }
        for (int i = 0; i < 8; i++) h[i] = a[i * 9 + 8] / a[i * 9 + i];
        h[8] = 1;
    }
}
