namespace Edge.Models.Imaging;

/// <summary>OpenCV INTER_LINEAR's source coordinate for a destination index (half-pixel centres, edges clamped).</summary>
internal static class BilinearMap
{
    /// <summary>The scale OpenCV uses: the reciprocal of dst/src, computed the same way so fractions match bit for bit.</summary>
    public static double Scale(int srcLength, int dstLength) => 1.0 / ((double)dstLength / srcLength);

    /// <summary>Returns the weight of <paramref name="i1"/>; <paramref name="i0"/> gets 1 minus it.</summary>
    public static float Map(int d, double scale, int srcLength, out int i0, out int i1)
    {
        float f = (float)((d + 0.5) * scale - 0.5);
        int s = (int)MathF.Floor(f);
        f -= s;
        if (s < 0) (s, f) = (0, 0f);
        if (s >= srcLength - 1) (s, f) = (srcLength - 1, 0f);
        i0 = s;
        i1 = Math.Min(s + 1, srcLength - 1);
        return f;
    }
}
