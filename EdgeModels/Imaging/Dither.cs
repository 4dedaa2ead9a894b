using System.Buffers;

namespace Edge.Models.Imaging;

public enum DitherMethod
{
    /// <summary>Black where the toned gray is below <see cref="DitherOptions.Threshold"/>; for line art and text.</summary>
    Threshold,
    /// <summary>Floyd–Steinberg error diffusion: keeps the mean gray level; the default for photos.</summary>
    FloydSteinberg,
    /// <summary>Atkinson error diffusion: diffuses 6/8 of the error, crisper and higher-contrast on thermal paper.</summary>
    Atkinson,
}

/// <summary>How an image becomes dots on a thermal head.</summary>
public sealed record DitherOptions
{
    public DitherMethod Method { get; init; } = DitherMethod.FloydSteinberg;

    /// <summary>Output width in dots (384 for 58 mm paper, 576 for 80 mm); 0 keeps the source width. Height follows the aspect ratio.</summary>
    public int TargetWidth { get; init; }

    /// <summary>Midtone curve: output = input^(1/Gamma). Above 1 lightens midtones, which offsets the dot gain of thermal heads.</summary>
    public double Gamma { get; init; } = 1.0;

    /// <summary>Contrast around mid gray; 1 leaves it unchanged, 1.2 is a common choice for faint thermal prints.</summary>
    public double Contrast { get; init; } = 1.0;

    /// <summary>Gray level (0..255) below which a dot is black.</summary>
    public int Threshold { get; init; } = 128;

    /// <summary>Scan alternate rows right-to-left so error diffusion does not leave diagonal worms.</summary>
    public bool Serpentine { get; init; } = true;

    internal void Validate()
    {
        if (TargetWidth < 0) throw new ArgumentOutOfRangeException(nameof(TargetWidth), TargetWidth, "TargetWidth must be 0 (keep) or a positive number of dots");
        if (!(Gamma > 0) || double.IsInfinity(Gamma)) throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "Gamma must be a positive number");
        if (!(Contrast >= 0) || double.IsInfinity(Contrast)) throw new ArgumentOutOfRangeException(nameof(Contrast), Contrast, "Contrast must be 0 or more");
        if (Threshold is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "Threshold must be within 1..255");
        if (!Enum.IsDefined(Method)) throw new ArgumentOutOfRangeException(nameof(Method), Method, "unknown dither method");
    }
}

/// <summary>
/// Turns a Gray8/Rgb24/Bgr24/Rgba32 image into printer dots: luminance, tone curve, area-averaging
/// resize to the head width, then threshold or error diffusion. Work buffers come from the array pool.
/// </summary>
public static class Dither
{
    /// <summary>Dithers <paramref name="source"/> into <paramref name="target"/> (resized to fit).</summary>
    public static void ToBitmap(ImageBuffer source, Bitmap1 target, DitherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        options ??= new DitherOptions();
        options.Validate();
        if (source.Width <= 0 || source.Height <= 0) throw new ArgumentException("the source image is empty", nameof(source));

        int dstW = options.TargetWidth == 0 ? source.Width : options.TargetWidth;
        int dstH = Math.Max(1, (int)Math.Round((double)source.Height * dstW / source.Width));

        Span<float> tone = stackalloc float[256];
        BuildToneCurve(options, tone);

        // Horizontal pass per source row into tmp (dstW × srcH), then vertical pass into plane (dstW × dstH).
        float[] luma = ArrayPool<float>.Shared.Rent(source.Width);
        float[] tmp = ArrayPool<float>.Shared.Rent(dstW * source.Height);
        float[] plane = ArrayPool<float>.Shared.Rent(dstW * dstH);
        try
        {
            for (int y = 0; y < source.Height; y++)
            {
                LumaRow(source, y, tone, luma.AsSpan(0, source.Width));
                ResampleRow(luma.AsSpan(0, source.Width), tmp.AsSpan(y * dstW, dstW));
            }
            ResampleColumns(tmp, source.Height, plane, dstH, dstW);

            target.Reset(dstW, dstH);
            var work = plane.AsSpan(0, dstW * dstH);
            switch (options.Method)
            {
                case DitherMethod.Threshold: Quantize(work, dstW, dstH, options.Threshold, target); break;
                case DitherMethod.FloydSteinberg: FloydSteinberg(work, dstW, dstH, options.Threshold, options.Serpentine, target); break;
                case DitherMethod.Atkinson: Atkinson(work, dstW, dstH, options.Threshold, options.Serpentine, target); break;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(luma);
            ArrayPool<float>.Shared.Return(tmp);
            ArrayPool<float>.Shared.Return(plane);
        }
    }

    /// <summary>Allocating convenience over <see cref="ToBitmap(ImageBuffer, Bitmap1, DitherOptions?)"/>.</summary>
    public static Bitmap1 ToBitmap(ImageBuffer source, DitherOptions? options = null)
    {
        var target = new Bitmap1(1, 1);
        ToBitmap(source, target, options);
        return target;
    }

    private static void BuildToneCurve(DitherOptions options, Span<float> tone)
    {
        double invGamma = 1.0 / options.Gamma;
        for (int i = 0; i < 256; i++)
        {
            double t = (i / 255.0 - 0.5) * options.Contrast + 0.5;
            t = Math.Clamp(t, 0, 1);
            tone[i] = (float)(Math.Pow(t, invGamma) * 255.0);
        }
    }

    private static void LumaRow(ImageBuffer image, int y, ReadOnlySpan<float> tone, Span<float> luma)
    {
        var row = image.Row(y);
        switch (image.Format)
        {
            case PixelFormat.Gray8:
                for (int x = 0; x < luma.Length; x++) luma[x] = tone[row[x]];
                break;
            case PixelFormat.Rgb24:
            case PixelFormat.Bgr24:
            case PixelFormat.Rgba32:
                int bpp = image.BytesPerPixel;
                int r = image.Format == PixelFormat.Bgr24 ? 2 : 0, b = 2 - r;
                for (int x = 0, i = 0; x < luma.Length; x++, i += bpp)
                {
                    // BT.601 weights in 8.8 fixed point (77 + 150 + 29 = 256).
                    int l = (77 * row[i + r] + 150 * row[i + 1] + 29 * row[i + b] + 128) >> 8;
                    luma[x] = tone[l];
                }
                break;
            default:
                throw new ArgumentException($"cannot dither pixel format {image.Format}", nameof(image));
        }
    }

    // Area averaging: output sample i covers source [i*scale, (i+1)*scale); each source sample weighs by its overlap.
    private static void ResampleRow(ReadOnlySpan<float> src, Span<float> dst)
    {
        if (src.Length == dst.Length) { src.CopyTo(dst); return; }
        double scale = (double)src.Length / dst.Length;
        for (int i = 0; i < dst.Length; i++)
        {
            double start = i * scale, end = start + scale;
            int j0 = (int)start, j1 = Math.Min(src.Length, (int)Math.Ceiling(end));
            double sum = 0;
            for (int j = j0; j < j1; j++)
            {
                double w = Math.Min(end, j + 1) - Math.Max(start, j);
                sum += w * src[j];
            }
            dst[i] = (float)(sum / scale);
        }
    }

    private static void ResampleColumns(float[] src, int srcH, float[] dst, int dstH, int width)
    {
        if (srcH == dstH) { src.AsSpan(0, width * srcH).CopyTo(dst); return; }
        double scale = (double)srcH / dstH;
        for (int i = 0; i < dstH; i++)
        {
            var outRow = dst.AsSpan(i * width, width);
            outRow.Clear();
            double start = i * scale, end = start + scale;
            int j0 = (int)start, j1 = Math.Min(srcH, (int)Math.Ceiling(end));
            for (int j = j0; j < j1; j++)
            {
                float w = (float)((Math.Min(end, j + 1) - Math.Max(start, j)) / scale);
                var inRow = src.AsSpan(j * width, width);
                for (int x = 0; x < width; x++) outRow[x] += w * inRow[x];
            }
        }
    }

    private static void Quantize(Span<float> plane, int w, int h, int threshold, Bitmap1 target)
    {
        for (int y = 0; y < h; y++)
        {
            var bits = target.Row(y);
            var row = plane.Slice(y * w, w);
            for (int x = 0; x < w; x++)
                if (row[x] < threshold) bits[x >> 3] |= (byte)(0x80 >> (x & 7));
        }
    }

    private static void FloydSteinberg(Span<float> plane, int w, int h, int threshold, bool serpentine, Bitmap1 target)
    {
        for (int y = 0; y < h; y++)
        {
            bool reverse = serpentine && (y & 1) == 1;
            int dir = reverse ? -1 : 1;
            bool hasNext = y + 1 < h;
            var bits = target.Row(y);
            for (int k = 0; k < w; k++)
            {
                int x = reverse ? w - 1 - k : k;
                int i = y * w + x;
                float old = plane[i];
                bool black = old < threshold;
                if (black) bits[x >> 3] |= (byte)(0x80 >> (x & 7));
                float err = old - (black ? 0f : 255f);
                int xf = x + dir, xb = x - dir;
                if ((uint)xf < (uint)w) plane[i + dir] += err * (7f / 16);
                if (!hasNext) continue;
                int below = i + w;
                if ((uint)xb < (uint)w) plane[below - dir] += err * (3f / 16);
                plane[below] += err * (5f / 16);
                if ((uint)xf < (uint)w) plane[below + dir] += err * (1f / 16);
            }
        }
    }

    private static void Atkinson(Span<float> plane, int w, int h, int threshold, bool serpentine, Bitmap1 target)
    {
        for (int y = 0; y < h; y++)
        {
            bool reverse = serpentine && (y & 1) == 1;
            int dir = reverse ? -1 : 1;
            var bits = target.Row(y);
            for (int k = 0; k < w; k++)
            {
                int x = reverse ? w - 1 - k : k;
                int i = y * w + x;
                float old = plane[i];
                bool black = old < threshold;
                if (black) bits[x >> 3] |= (byte)(0x80 >> (x & 7));
                float e = (old - (black ? 0f : 255f)) * 0.125f;
                Spread(plane, w, h, x + dir, y, e);
                Spread(plane, w, h, x + 2 * dir, y, e);
                Spread(plane, w, h, x - dir, y + 1, e);
                Spread(plane, w, h, x, y + 1, e);
                Spread(plane, w, h, x + dir, y + 1, e);
                Spread(plane, w, h, x, y + 2, e);
            }
        }
    }

    private static void Spread(Span<float> plane, int w, int h, int x, int y, float e)
    {
        if ((uint)x < (uint)w && y < h) plane[y * w + x] += e;
    }
}
