using System.Buffers;
using System.Runtime.CompilerServices;

namespace Edge.Models.Imaging;

/// <summary>Pixel layouts the imaging code understands. Channel order is memory order.</summary>
public enum PixelFormat : byte
{
    Gray8 = 1,
    Rgb24 = 2,
    Bgr24 = 3,
    Rgba32 = 4,
}

public static class PixelFormatExtensions
{
    public static int BytesPerPixel(this PixelFormat format) => format switch
    {
        PixelFormat.Gray8 => 1,
        PixelFormat.Rgb24 or PixelFormat.Bgr24 => 3,
        PixelFormat.Rgba32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown pixel format"),
    };
}

/// <summary>
/// An image in a pooled buffer with an explicit row stride. Reuse one instance across frames with
/// <see cref="Reset"/> so the steady state allocates nothing: the backing array only grows.
/// </summary>
public sealed class ImageBuffer : IDisposable
{
    private byte[] _data;

    public ImageBuffer(int width, int height, PixelFormat format, int stride = 0)
    {
        _data = System.Array.Empty<byte>();
        Reset(width, height, format, stride);
    }

    /// <summary>An empty image that will size itself on the first <see cref="Reset"/>.</summary>
    public ImageBuffer()
    {
        _data = System.Array.Empty<byte>();
        Format = PixelFormat.Rgb24;
    }

    public int Width { get; private set; }
    public int Height { get; private set; }
    public int Stride { get; private set; }
    public PixelFormat Format { get; private set; }
    public int BytesPerPixel => Format.BytesPerPixel();

    /// <summary>All rows, <see cref="Height"/> × <see cref="Stride"/> bytes.</summary>
    public Span<byte> Data => _data.AsSpan(0, Height * Stride);

    /// <summary>The backing array (may be longer than <see cref="Data"/>); for codecs that need an array.</summary>
    internal byte[] BackingArray => _data;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Row(int y) => _data.AsSpan(y * Stride, Width * BytesPerPixel);

    /// <summary>Resizes the image in place, keeping the backing array when it is large enough.</summary>
    public void Reset(int width, int height, PixelFormat format, int stride = 0)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size must be positive, given {width}x{height}");
        int minStride = checked(width * format.BytesPerPixel());
        if (stride == 0) stride = minStride;
        if (stride < minStride)
            throw new ArgumentOutOfRangeException(nameof(stride), $"stride {stride} is smaller than a row ({minStride} bytes)");
        int size = checked(stride * height);
        if (_data.Length < size)
        {
            if (_data.Length > 0) ArrayPool<byte>.Shared.Return(_data);
            _data = ArrayPool<byte>.Shared.Rent(size);
        }
        Width = width;
        Height = height;
        Stride = stride;
        Format = format;
    }

    public void Dispose()
    {
        var data = _data;
        _data = System.Array.Empty<byte>();
        Width = Height = Stride = 0;
        if (data.Length > 0) ArrayPool<byte>.Shared.Return(data);
    }
}
