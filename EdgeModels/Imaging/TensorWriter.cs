using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Edge.Models.Imaging;

/// <summary>
/// Per output channel <c>value = pixel * Scale + Bias</c>. Output channel k reads source byte k of each pixel;
/// <see cref="SwapRB"/> reverses that order, so an Rgb24 source gives B, G, R planes (what PaddleOCR models,
/// trained on OpenCV BGR images, expect) and a Bgr24 source gives R, G, B planes.
/// </summary>
public readonly record struct ChannelNormalization(float Scale0, float Bias0, float Scale1, float Bias1, float Scale2, float Bias2, bool SwapRB)
{
    /// <summary><c>(pixel / 255 - mean) / std</c>, with <paramref name="mean"/> and <paramref name="std"/> in output channel order.</summary>
    public static ChannelNormalization FromMeanStd(ReadOnlySpan<float> mean, ReadOnlySpan<float> std, bool swapRB)
    {
        if (mean.Length != 3 || std.Length != 3)
            throw new ArgumentException($"need 3 means and 3 standard deviations, got {mean.Length} and {std.Length}");
        for (int c = 0; c < 3; c++)
            if (std[c] == 0 || !float.IsFinite(std[c]) || !float.IsFinite(mean[c]))
                throw new ArgumentException($"channel {c}: mean {mean[c]} / std {std[c]} cannot normalise", nameof(std));
        return new ChannelNormalization(
            (float)(1.0 / (255.0 * std[0])), (float)(-(double)mean[0] / std[0]),
            (float)(1.0 / (255.0 * std[1])), (float)(-(double)mean[1] / std[1]),
            (float)(1.0 / (255.0 * std[2])), (float)(-(double)mean[2] / std[2]),
            swapRB);
    }
}

/// <summary>
/// Fused bilinear resize + normalisation + HWC→CHW, the pre-processing in front of every model.
/// Separable: each needed source row is resized horizontally once into planar floats (already
/// normalised, since interpolation weights sum to one), then pairs of rows are blended vertically with
/// SIMD straight into the tensor. Scratch comes from <see cref="ScratchPool{T}"/>: steady state allocates nothing.
/// </summary>
public static class TensorWriter
{
    /// <summary>Resizes <paramref name="source"/> (Rgb24/Bgr24) to dstWidth×dstHeight and writes planes of dstWidth×dstHeight floats.</summary>
    public static void ResizeNormalizeToChw(ImageBuffer source, int dstWidth, int dstHeight, in ChannelNormalization norm, Span<float> destination) =>
        ResizeNormalizeToChw(source, dstWidth, dstHeight, dstWidth, 0f, norm, destination);

    /// <summary>
    /// As above, with rows <paramref name="tensorWidth"/> floats apart (planes tensorWidth×dstHeight);
    /// columns from dstWidth to tensorWidth get <paramref name="padValue"/>.
    /// </summary>
    public static void ResizeNormalizeToChw(ImageBuffer source, int dstWidth, int dstHeight, int tensorWidth, float padValue, in ChannelNormalization norm, Span<float> destination)
    {
        int plane = Validate(source, dstWidth, dstHeight, tensorWidth, destination.Length);
        int srcW = source.Width, srcH = source.Height;
        if (srcW == dstWidth && srcH == dstHeight)
        {
            // Same size (a camera already at the model's input size): no blend, write the planes directly.
            for (int y = 0; y < dstHeight; y++)
            {
                int at = y * tensorWidth;
                NormalizeRow(source.Row(y), destination.Slice(at, dstWidth), destination.Slice(plane + at, dstWidth), destination.Slice(2 * plane + at, dstWidth), norm);
                if (tensorWidth > dstWidth)
                    for (int c = 0; c < 3; c++) destination.Slice(c * plane + at + dstWidth, tensorWidth - dstWidth).Fill(padValue);
            }
            return;
        }
        int[] offsets = ScratchPool<int>.Shared.Rent(2 * dstWidth);
        float[] weights = ScratchPool<float>.Shared.Rent(dstWidth);
        float[] rows = ScratchPool<float>.Shared.Rent(2 * 3 * dstWidth);
        try
        {
            double scaleX = BilinearMap.Scale(srcW, dstWidth), scaleY = BilinearMap.Scale(srcH, dstHeight);
            for (int x = 0; x < dstWidth; x++)
            {
                weights[x] = BilinearMap.Map(x, scaleX, srcW, out int x0, out int x1);
                offsets[2 * x] = 3 * x0;
                offsets[2 * x + 1] = 3 * x1;
            }
            var horizontal = new HorizontalPass(offsets, weights, dstWidth, norm);
            int held0 = -1, held1 = -1;
            for (int y = 0; y < dstHeight; y++)
            {
                float fy = BilinearMap.Map(y, scaleY, srcH, out int sy0, out int sy1);
                // Two row slots; never evict the row the other half of this blend still needs.
                int slot0 = Acquire(sy0, keep: sy1, ref held0, ref held1);
                int slot1 = Acquire(sy1, keep: sy0, ref held0, ref held1);
                if (slot0 < 0) horizontal.Run(source.Row(sy0), rows.AsSpan((slot0 = ~slot0) * 3 * dstWidth, 3 * dstWidth));
                if (slot1 < 0) horizontal.Run(source.Row(sy1), rows.AsSpan((slot1 = ~slot1) * 3 * dstWidth, 3 * dstWidth));
                for (int c = 0; c < 3; c++)
                {
                    var top = rows.AsSpan(slot0 * 3 * dstWidth + c * dstWidth, dstWidth);
                    var bottom = rows.AsSpan(slot1 * 3 * dstWidth + c * dstWidth, dstWidth);
                    var row = destination.Slice(c * plane + y * tensorWidth, tensorWidth);
                    Blend(top, bottom, fy, row[..dstWidth]);
                    row[dstWidth..].Fill(padValue);
                }
            }
        }
        finally
        {
            ScratchPool<int>.Shared.Return(offsets);
            ScratchPool<float>.Shared.Return(weights);
            ScratchPool<float>.Shared.Return(rows);
        }
    }

    /// <summary>Checks the arguments and returns the plane size in floats.</summary>
    internal static int Validate(ImageBuffer source, int dstWidth, int dstHeight, int tensorWidth, int destinationLength)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Format is not (PixelFormat.Rgb24 or PixelFormat.Bgr24))
            throw new ArgumentException($"the source must be Rgb24 or Bgr24, not {source.Format}", nameof(source));
        if (source.Width <= 0 || source.Height <= 0) throw new ArgumentException("the source image is empty", nameof(source));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dstWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dstHeight);
        if (tensorWidth < dstWidth)
            throw new ArgumentOutOfRangeException(nameof(tensorWidth), $"tensor width {tensorWidth} is narrower than the image width {dstWidth}");
        long plane = (long)tensorWidth * dstHeight;
        if (3 * plane > destinationLength)
            throw new ArgumentException($"destination holds {destinationLength} floats; 3x{dstHeight}x{tensorWidth} needs {3 * plane}", "destination");
        return (int)plane;
    }

    /// <summary>The slot holding <paramref name="row"/>, or the complement of the slot to fill with it.</summary>
    private static int Acquire(int row, int keep, ref int held0, ref int held1)
    {
        if (held0 == row) return 0;
        if (held1 == row) return 1;
        if (held0 != keep || held0 == -1)
        {
            held0 = row;
            return ~0;
        }
        held1 = row;
        return ~1;
    }

    /// <summary>Resizes one source row horizontally into three normalised planes.</summary>
    private readonly struct HorizontalPass(int[] offsets, float[] weights, int width, in ChannelNormalization norm)
    {
        private readonly int _first = norm.SwapRB ? 2 : 0;
        private readonly float _s0 = norm.Scale0, _b0 = norm.Bias0, _s1 = norm.Scale1, _b1 = norm.Bias1, _s2 = norm.Scale2, _b2 = norm.Bias2;

        public void Run(ReadOnlySpan<byte> source, Span<float> planes)
        {
            // Offsets were clamped to the row when the table was built, so the unchecked reads stay inside it.
            ref byte c0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), _first);
            ref byte c1 = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), 1);
            ref byte c2 = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), 2 - _first);
            ref float p0 = ref MemoryMarshal.GetReference(planes);
            ref float p1 = ref Unsafe.Add(ref p0, width);
            ref float p2 = ref Unsafe.Add(ref p0, 2 * width);
            ref int offset = ref MemoryMarshal.GetArrayDataReference(offsets);
            ref float weight = ref MemoryMarshal.GetArrayDataReference(weights);
            float s0 = _s0, b0 = _b0, s1 = _s1, b1 = _b1, s2 = _s2, b2 = _b2;
            for (nint x = 0; x < width; x++)
            {
                nint a = Unsafe.Add(ref offset, 2 * x), b = Unsafe.Add(ref offset, 2 * x + 1);
                float f = Unsafe.Add(ref weight, x);
                float l = Unsafe.Add(ref c0, a), r = Unsafe.Add(ref c0, b);
                Unsafe.Add(ref p0, x) = (l + (r - l) * f) * s0 + b0;
                l = Unsafe.Add(ref c1, a);
                r = Unsafe.Add(ref c1, b);
                Unsafe.Add(ref p1, x) = (l + (r - l) * f) * s1 + b1;
                l = Unsafe.Add(ref c2, a);
                r = Unsafe.Add(ref c2, b);
                Unsafe.Add(ref p2, x) = (l + (r - l) * f) * s2 + b2;
            }
        }
    }

    /// <summary>One interleaved row (RGB or BGR) into three normalized planes, in the output channel order.</summary>
    private static void NormalizeRow(ReadOnlySpan<byte> source, Span<float> plane0, Span<float> plane1, Span<float> plane2, in ChannelNormalization norm)
    {
        int width = plane0.Length;
        if (source.Length < 3 * width || plane1.Length < width || plane2.Length < width) throw new ArgumentException("row and planes differ in width");
        int first = norm.SwapRB ? 2 : 0;
        ref byte c0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), first);
        ref byte c1 = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), 1);
        ref byte c2 = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), 2 - first);
        ref float p0 = ref MemoryMarshal.GetReference(plane0);
        ref float p1 = ref MemoryMarshal.GetReference(plane1);
        ref float p2 = ref MemoryMarshal.GetReference(plane2);
        float s0 = norm.Scale0, b0 = norm.Bias0, s1 = norm.Scale1, b1 = norm.Bias1, s2 = norm.Scale2, b2 = norm.Bias2;
        for (nint x = 0; x < width; x++)
        {
            nint a = 3 * x;
            Unsafe.Add(ref p0, x) = Unsafe.Add(ref c0, a) * s0 + b0;
            Unsafe.Add(ref p1, x) = Unsafe.Add(ref c1, a) * s1 + b1;
            Unsafe.Add(ref p2, x) = Unsafe.Add(ref c2, a) * s2 + b2;
        }
    }

    /// <summary>dst = top + (bottom - top) * f, eight or four lanes at a time.</summary>
    private static void Blend(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, float f, Span<float> dst)
    {
        if (f == 0f)
        {
            top.CopyTo(dst);
            return;
        }
        int n = dst.Length, i = 0;
        ref float t = ref MemoryMarshal.GetReference(top);
        ref float b = ref MemoryMarshal.GetReference(bottom);
        ref float d = ref MemoryMarshal.GetReference(dst);
        if (Vector256.IsHardwareAccelerated)
        {
            var vf = Vector256.Create(f);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var vt = Vector256.LoadUnsafe(ref t, (nuint)i);
                Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref b, (nuint)i) - vt, vf, vt).StoreUnsafe(ref d, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var vf = Vector128.Create(f);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var vt = Vector128.LoadUnsafe(ref t, (nuint)i);
                Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref b, (nuint)i) - vt, vf, vt).StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < n; i++)
            dst[i] = top[i] + (bottom[i] - top[i]) * f;
    }
}
