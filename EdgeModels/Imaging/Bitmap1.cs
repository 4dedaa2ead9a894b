using System.Numerics;
using System.Runtime.CompilerServices;

namespace Edge.Models.Imaging;

/// <summary>
/// A packed 1-bit image as thermal printers take it: 8 dots per byte, most significant bit is the
/// leftmost dot, each row padded to whole bytes (padding bits stay 0), 1 = black dot.
/// </summary>
public sealed class Bitmap1
{
    private byte[] _data;

    public Bitmap1(int width, int height)
    {
        _data = [];
        Reset(width, height);
    }

    public int Width { get; private set; }
    public int Height { get; private set; }
    /// <summary>Bytes per row: (Width + 7) / 8.</summary>
    public int Stride { get; private set; }

    /// <summary>All rows, <see cref="Height"/> × <see cref="Stride"/> bytes.</summary>
    public Span<byte> Data => _data.AsSpan(0, Height * Stride);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Row(int y) => _data.AsSpan(y * Stride, Stride);

    /// <summary>Resizes to <paramref name="width"/>×<paramref name="height"/> and clears to white, keeping the array when it is large enough.</summary>
    public void Reset(int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"bitmap size must be positive, given {width}x{height}");
        int stride = (width + 7) >> 3;
        int size = checked(stride * height);
        if (_data.Length < size) _data = new byte[size];
        Width = width;
        Height = height;
        Stride = stride;
        Data.Clear();
    }

    /// <summary>Packs rows given as <paramref name="packed"/> (MSB first, <c>(width+7)/8</c> bytes a row); padding bits are cleared.</summary>
    public static Bitmap1 FromPacked(int width, int height, ReadOnlySpan<byte> packed)
    {
        var bitmap = new Bitmap1(width, height);
        if (packed.Length < bitmap.Data.Length)
            throw new ArgumentException($"{width}x{height} needs {bitmap.Data.Length} bytes, given {packed.Length}", nameof(packed));
        packed[..bitmap.Data.Length].CopyTo(bitmap.Data);
        bitmap.ClearPadding();
        return bitmap;
    }

    public bool this[int x, int y]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            CheckBounds(x, y);
            return (_data[y * Stride + (x >> 3)] & (0x80 >> (x & 7))) != 0;
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set
        {
            CheckBounds(x, y);
            ref byte b = ref _data[y * Stride + (x >> 3)];
            int mask = 0x80 >> (x & 7);
            b = (byte)(value ? b | mask : b & ~mask);
        }
    }

    /// <summary>Number of black dots.</summary>
    public long CountBlack()
    {
        long count = 0;
        foreach (byte b in Data) count += BitOperations.PopCount(b);
        return count;
    }

    /// <summary>True when both bitmaps have the same size and the same dots.</summary>
    public bool SameDots(Bitmap1 other) =>
        other.Width == Width && other.Height == Height && Data.SequenceEqual(other.Data);

    /// <summary>A copy of rows <paramref name="y"/>..<paramref name="y"/>+<paramref name="height"/>.</summary>
    public Bitmap1 CopyRows(int y, int height)
    {
        if (y < 0 || height <= 0 || y + height > Height)
            throw new ArgumentOutOfRangeException(nameof(y), $"rows {y}..{y + height} are outside 0..{Height}");
        return FromPacked(Width, height, _data.AsSpan(y * Stride, height * Stride));
    }

    /// <summary>Writes the dots as Gray8 (black dot = 0, paper = 255), e.g. for <see cref="PngCodec"/>.</summary>
    public void ToGray8(ImageBuffer target)
    {
        target.Reset(Width, Height, PixelFormat.Gray8);
        for (int y = 0; y < Height; y++)
        {
            var src = Row(y);
            var dst = target.Row(y);
            for (int x = 0; x < Width; x++)
                dst[x] = (src[x >> 3] & (0x80 >> (x & 7))) != 0 ? (byte)0 : (byte)255;
        }
    }

    /// <summary>Saves the dots as a grayscale PNG.</summary>
    public void SavePng(string path)
    {
        using var gray = new ImageBuffer();
        ToGray8(gray);
        using var file = File.Create(path);
        PngCodec.Encode(gray, file);
    }

    private void ClearPadding()
    {
        int spare = Stride * 8 - Width;
        if (spare == 0) return;
        byte keep = (byte)(0xFF << spare);
        for (int y = 0; y < Height; y++) _data[y * Stride + Stride - 1] &= keep;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckBounds(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"dot ({x},{y}) is outside {Width}x{Height}");
    }
}
