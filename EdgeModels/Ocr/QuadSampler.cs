using System.Runtime.CompilerServices;
using Edge.Models.Imaging;

namespace Edge.Models.Ocr;

/// <summary>
/// Reads a text region straight into a model's input tensor: perspective crop, resize, normalise and
/// HWC→CHW in one pass, with no intermediate crop image. What PaddleOCR does with warpPerspective,
/// rot90 and resize becomes a choice of corner order (see <see cref="Quad"/>).
/// </summary>
public static class QuadSampler
{
    /// <summary>
    /// Samples <paramref name="quad"/> of an Rgb24/Bgr24 <paramref name="source"/> into a
    /// <paramref name="contentWidth"/>×<paramref name="height"/> patch written as three planes of
    /// <paramref name="height"/>×<paramref name="tensorWidth"/> floats; columns past the content get <paramref name="padValue"/>.
    /// </summary>
    public static void SampleToChw(ImageBuffer source, in Quad quad, int contentWidth, int height, int tensorWidth,
        float padValue, in ChannelNormalization norm, Span<float> destination)
        => SampleToChw(source, quad, 0, contentWidth, height, tensorWidth, padValue, fillPadding: true, norm, destination);

    /// <summary>
    /// As above, writing the patch at <paramref name="columnOffset"/> within each tensor row; with
    /// <paramref name="fillPadding"/> the columns after it are padded. Lets several regions share one row (character cells).
    /// </summary>
    public static void SampleToChw(ImageBuffer source, in Quad quad, int columnOffset, int contentWidth, int height, int tensorWidth,
        float padValue, bool fillPadding, in ChannelNormalization norm, Span<float> destination)
    {
        if (source.Format is not (PixelFormat.Rgb24 or PixelFormat.Bgr24))
            throw new ArgumentException($"quad sampling needs an Rgb24 or Bgr24 image, given {source.Format}", nameof(source));
        if (contentWidth <= 0 || columnOffset < 0 || columnOffset + contentWidth > tensorWidth)
            throw new ArgumentOutOfRangeException(nameof(contentWidth), $"content columns {columnOffset}..{columnOffset + contentWidth} must fit in a row of {tensorWidth}");
        int plane = height * tensorWidth;
        if (destination.Length < 3 * plane)
            throw new ArgumentException($"destination holds {destination.Length} floats, needs {3 * plane}", nameof(destination));

        var h = Homography.UnitSquareTo(quad);
        // Output pixel centres map to (i + ½) / width across the quad, so a region read with its corners
        // turned (upside down, vertical) samples exactly the mirrored points.
        float stepS = 1f / contentWidth, offS = 0.5f / contentWidth;
        float stepT = 1f / height, offT = 0.5f / height;

        // Source byte feeding output channels 0 and 2: SwapRB reverses byte order, as in TensorWriter.
        int c0 = norm.SwapRB ? 2 : 0, c2 = 2 - c0;
        var data = source.Data;
        int stride = source.Stride, maxX = source.Width - 1, maxY = source.Height - 1;
        var d0 = destination.Slice(0, plane);
        var d1 = destination.Slice(plane, plane);
        var d2 = destination.Slice(2 * plane, plane);

        for (int j = 0; j < height; j++)
        {
            float t = j * stepT + offT;
            int rowBase = j * tensorWidth + columnOffset;
            for (int i = 0; i < contentWidth; i++)
            {
                float s = i * stepS + offS;
                float w = h.G * s + h.H * t + 1f;
                float x = (h.A * s + h.B * t + h.C) / w;
                float y = (h.D * s + h.E * t + h.F) / w;
                Bilinear(data, stride, maxX, maxY, x, y, c0, c2, out float v0, out float v1, out float v2);
                int o = rowBase + i;
                d0[o] = v0 * norm.Scale0 + norm.Bias0;
                d1[o] = v1 * norm.Scale1 + norm.Bias1;
                d2[o] = v2 * norm.Scale2 + norm.Bias2;
            }
            int rest = tensorWidth - columnOffset - contentWidth;
            if (fillPadding && rest > 0)
            {
                d0.Slice(rowBase + contentWidth, rest).Fill(padValue);
                d1.Slice(rowBase + contentWidth, rest).Fill(padValue);
                d2.Slice(rowBase + contentWidth, rest).Fill(padValue);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bilinear(ReadOnlySpan<byte> data, int stride, int maxX, int maxY, float x, float y, int c0, int c2,
        out float v0, out float v1, out float v2)
    {
        x = Math.Clamp(x, 0f, maxX);
        y = Math.Clamp(y, 0f, maxY);
        int x0 = (int)x, y0 = (int)y;
        int x1 = Math.Min(x0 + 1, maxX), y1 = Math.Min(y0 + 1, maxY);
        float fx = x - x0, fy = y - y0;
        int r0 = y0 * stride, r1 = y1 * stride;
        int a = r0 + x0 * 3, b = r0 + x1 * 3, c = r1 + x0 * 3, d = r1 + x1 * 3;
        float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
        v0 = data[a + c0] * w00 + data[b + c0] * w01 + data[c + c0] * w10 + data[d + c0] * w11;
        v1 = data[a + 1] * w00 + data[b + 1] * w01 + data[c + 1] * w10 + data[d + 1] * w11;
        v2 = data[a + c2] * w00 + data[b + c2] * w01 + data[c + c2] * w10 + data[d + c2] * w11;
    }
}

/// <summary>x = (A s + B t + C) / (G s + H t + 1), y = (D s + E t + F) / (G s + H t + 1).</summary>
internal readonly record struct Homography(float A, float B, float C, float D, float E, float F, float G, float H)
{
    /// <summary>Maps the unit square (0,0),(1,0),(1,1),(0,1) onto the quad's corners P0..P3 (Heckbert's closed form).</summary>
    public static Homography UnitSquareTo(in Quad q)
    {
        double x0 = q.P0.X, y0 = q.P0.Y, x1 = q.P1.X, y1 = q.P1.Y, x2 = q.P2.X, y2 = q.P2.Y, x3 = q.P3.X, y3 = q.P3.Y;
        double dx1 = x1 - x2, dx2 = x3 - x2, dx3 = x0 - x1 + x2 - x3;
        double dy1 = y1 - y2, dy2 = y3 - y2, dy3 = y0 - y1 + y2 - y3;
        double g = 0, h = 0;
        double den = dx1 * dy2 - dx2 * dy1;
        if ((Math.Abs(dx3) > 1e-9 || Math.Abs(dy3) > 1e-9) && Math.Abs(den) > 1e-12)
        {
            g = (dx3 * dy2 - dx2 * dy3) / den;
            h = (dx1 * dy3 - dx3 * dy1) / den;
        }
        return new Homography(
            (float)(x1 - x0 + g * x1), (float)(x3 - x0 + h * x3), (float)x0,
            (float)(y1 - y0 + g * y1), (float)(y3 - y0 + h * y3), (float)y0,
            (float)g, (float)h);
    }

    public PointF Map(float s, float t)
    {
        float w = G * s + H * t + 1f;
        return new PointF((A * s + B * t + C) / w, (D * s + E * t + F) / w);
    }
}
