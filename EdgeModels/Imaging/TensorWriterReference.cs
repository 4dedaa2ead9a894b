namespace Edge.Models.Imaging;

/// <summary>
/// The obvious per-pixel version of <see cref="TensorWriter"/>: four taps, blend, normalise. Slow on
/// purpose; tests hold the fast path to it.
/// </summary>
internal static class TensorWriterReference
{
    public static void ResizeNormalizeToChw(ImageBuffer source, int dstWidth, int dstHeight, int tensorWidth, float padValue, in ChannelNormalization norm, Span<float> destination)
    {
        int plane = TensorWriter.Validate(source, dstWidth, dstHeight, tensorWidth, destination.Length);
        Span<float> scale = [norm.Scale0, norm.Scale1, norm.Scale2];
        Span<float> bias = [norm.Bias0, norm.Bias1, norm.Bias2];
        for (int y = 0; y < dstHeight; y++)
        {
            float fy = SourceCoordinate(y, source.Height, dstHeight, out int y0, out int y1);
            for (int x = 0; x < tensorWidth; x++)
            {
                if (x >= dstWidth)
                {
                    for (int c = 0; c < 3; c++) destination[c * plane + y * tensorWidth + x] = padValue;
                    continue;
                }
                float fx = SourceCoordinate(x, source.Width, dstWidth, out int x0, out int x1);
                for (int c = 0; c < 3; c++)
                {
                    int channel = norm.SwapRB ? 2 - c : c;
                    float p00 = source.Row(y0)[3 * x0 + channel], p01 = source.Row(y0)[3 * x1 + channel];
                    float p10 = source.Row(y1)[3 * x0 + channel], p11 = source.Row(y1)[3 * x1 + channel];
                    float top = p00 + (p01 - p00) * fx, bottom = p10 + (p11 - p10) * fx;
                    destination[c * plane + y * tensorWidth + x] = (top + (bottom - top) * fy) * scale[c] + bias[c];
                }
            }
        }
    }

    /// <summary>OpenCV INTER_LINEAR: centre-aligned, taps clamped to the edge.</summary>
    private static float SourceCoordinate(int d, int srcLength, int dstLength, out int i0, out int i1)
    {
        double scale = 1.0 / ((double)dstLength / srcLength);
        float f = (float)((d + 0.5) * scale - 0.5);
        i0 = (int)MathF.Floor(f);
        f -= i0;
        if (i0 < 0) (i0, f) = (0, 0f);
        if (i0 >= srcLength - 1) (i0, f) = (srcLength - 1, 0f);
        i1 = Math.Min(i0 + 1, srcLength - 1);
        return f;
    }
}
