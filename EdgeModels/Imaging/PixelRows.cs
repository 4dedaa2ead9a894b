using System.Runtime.CompilerServices;

namespace Edge.Models.Imaging;

/// <summary>Row-level pixel format conversion shared by the codecs and <see cref="ImageOps"/>.</summary>
internal static class PixelRows
{
    /// <summary>Converts <paramref name="width"/> pixels; alpha is composited over white when the target is opaque.</summary>
    public static void Convert(ReadOnlySpan<byte> src, PixelFormat from, Span<byte> dst, PixelFormat to, int width)
    {
        if (from == to)
        {
            src[..(width * from.BytesPerPixel())].CopyTo(dst);
            return;
        }
        switch (from, to)
        {
            case (PixelFormat.Rgb24, PixelFormat.Bgr24) or (PixelFormat.Bgr24, PixelFormat.Rgb24):
                src = src[..(width * 3)];
                dst = dst[..(width * 3)];
                for (int i = 0; i < src.Length; i += 3)
                {
                    dst[i] = src[i + 2];
                    dst[i + 1] = src[i + 1];
                    dst[i + 2] = src[i];
                }
                break;
            case (PixelFormat.Rgb24 or PixelFormat.Bgr24, PixelFormat.Gray8):
            {
                int r = from == PixelFormat.Rgb24 ? 0 : 2;
                src = src[..(width * 3)];
                dst = dst[..width];
                for (int x = 0, i = 0; x < dst.Length; x++, i += 3)
                    dst[x] = Luma(src[i + r], src[i + 1], src[i + 2 - r]);
                break;
            }
            case (PixelFormat.Rgb24 or PixelFormat.Bgr24, PixelFormat.Rgba32):
            {
                int r = from == PixelFormat.Rgb24 ? 0 : 2;
                src = src[..(width * 3)];
                dst = dst[..(width * 4)];
                for (int i = 0, o = 0; i < src.Length; i += 3, o += 4)
                {
                    dst[o] = src[i + r];
                    dst[o + 1] = src[i + 1];
                    dst[o + 2] = src[i + 2 - r];
                    dst[o + 3] = 255;
                }
                break;
            }
            case (PixelFormat.Gray8, PixelFormat.Rgb24 or PixelFormat.Bgr24):
                src = src[..width];
                dst = dst[..(width * 3)];
                for (int x = 0, o = 0; x < src.Length; x++, o += 3)
                    dst[o] = dst[o + 1] = dst[o + 2] = src[x];
                break;
            case (PixelFormat.Gray8, PixelFormat.Rgba32):
                src = src[..width];
                dst = dst[..(width * 4)];
                for (int x = 0, o = 0; x < src.Length; x++, o += 4)
                {
                    dst[o] = dst[o + 1] = dst[o + 2] = src[x];
                    dst[o + 3] = 255;
                }
                break;
            case (PixelFormat.Rgba32, PixelFormat.Rgb24 or PixelFormat.Bgr24):
            {
                int r = to == PixelFormat.Rgb24 ? 0 : 2;
                src = src[..(width * 4)];
                dst = dst[..(width * 3)];
                for (int i = 0, o = 0; i < src.Length; i += 4, o += 3)
                {
                    int a = src[i + 3];
                    dst[o + r] = OverWhite(src[i], a);
                    dst[o + 1] = OverWhite(src[i + 1], a);
                    dst[o + 2 - r] = OverWhite(src[i + 2], a);
                }
                break;
            }
            case (PixelFormat.Rgba32, PixelFormat.Gray8):
                src = src[..(width * 4)];
                dst = dst[..width];
                for (int x = 0, i = 0; x < dst.Length; x++, i += 4)
                {
                    int a = src[i + 3];
                    dst[x] = Luma(OverWhite(src[i], a), OverWhite(src[i + 1], a), OverWhite(src[i + 2], a));
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(to), $"no conversion from {from} to {to}");
        }
    }

    /// <summary>BT.601 luma with OpenCV's 14-bit coefficients (they sum to 1, so grey stays exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Luma(int r, int g, int b) => (byte)((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14);

    /// <summary>c·a + 255·(1−a), divided by 255 with rounding (exact for all 8-bit inputs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte OverWhite(int c, int a)
    {
        int x = c * a + 255 * (255 - a) + 128;
        return (byte)((x + (x >> 8)) >> 8);
    }
}
