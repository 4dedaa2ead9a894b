using System.Buffers;

namespace Edge.Models.Imaging;

/// <summary>Decodes PNG or JPEG by their magic bytes and saves by file extension.</summary>
public static class ImageCodec
{
    /// <summary>Largest accepted side, in pixels.</summary>
    public const int MaxSide = 16384;

    /// <summary>Largest accepted image, in pixels (100 megapixels).</summary>
    public const long MaxPixels = 100_000_000;

    public static void Decode(ReadOnlySpan<byte> encoded, ImageBuffer target, PixelFormat format = PixelFormat.Rgb24)
    {
        if (encoded.StartsWith(PngCodec.Signature))
            PngCodec.Decode(encoded, target, format);
        else if (encoded.Length >= 3 && encoded[0] == 0xFF && encoded[1] == 0xD8 && encoded[2] == 0xFF)
            JpegCodec.Decode(encoded, target, format);
        else
            throw new ImageDecodeException(encoded.IsEmpty ? "empty input: not a PNG or JPEG" : $"not a PNG or JPEG (starts with {Hex(encoded)})");
    }

    public static ImageBuffer Load(string path, PixelFormat format = PixelFormat.Rgb24)
    {
        var image = new ImageBuffer();
        try
        {
            Load(path, image, format);
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>Reads the file into a pooled buffer and decodes it into <paramref name="target"/>; every failure names the file.</summary>
    public static void Load(string path, ImageBuffer target, PixelFormat format = PixelFormat.Rgb24)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(target);
        byte[]? encoded = null;
        try
        {
            int length;
            // bufferSize 1 turns FileStream's own buffer off: we read the whole file in one go.
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1))
            {
                if (file.Length > Array.MaxLength) throw new ImageDecodeException($"file is {file.Length} bytes, too large for an image");
                length = (int)file.Length;
                encoded = ArrayPool<byte>.Shared.Rent(length);
                file.ReadExactly(encoded, 0, length);
            }
            Decode(encoded.AsSpan(0, length), target, format);
        }
        catch (ImageDecodeException e)
        {
            throw new ImageDecodeException($"{path}: {e.Message}", e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDecodeException($"{path}: file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException($"{path}: {e.Message}", e);
        }
        finally
        {
            if (encoded is not null) ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    /// <summary>Writes PNG for .png and JPEG for .jpg/.jpeg, through a temporary file so readers never see half an image.</summary>
    public static void Save(string path, ImageBuffer image, int jpegQuality = 90)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(image);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        bool png = extension == ".png";
        if (!png && extension is not (".jpg" or ".jpeg"))
            throw new ImageEncodeException($"{path}: cannot tell the format from the extension '{extension}' (use .png, .jpg or .jpeg)");
        string temporary = path + ".partial";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                if (png) PngCodec.Encode(image, file);
                else JpegCodec.Encode(image, file, jpegQuality);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is ImageEncodeException or IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new ImageEncodeException($"{path}: {e.Message}", e);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    internal static void CheckSize(long width, long height, string kind)
    {
        if (width > MaxSide || height > MaxSide || width * height > MaxPixels)
            throw new ImageDecodeException($"{kind} is {width}x{height} pixels, over the limit of {MaxSide} per side and {MaxPixels / 1_000_000} megapixels");
    }

    /// <summary>Sizes a decode target; a target already laid out for this width and format keeps its (possibly padded) stride.</summary>
    internal static void PrepareTarget(ImageBuffer target, int width, int height, PixelFormat format)
    {
        int stride = target.Width == width && target.Format == format ? target.Stride : 0;
        target.Reset(width, height, format, stride);
    }

    /// <summary>The first bytes as hex, for messages about unrecognised input.</summary>
    internal static string Hex(ReadOnlySpan<byte> data) =>
        data.IsEmpty ? "nothing (0 bytes)" : BitConverter.ToString(data[..Math.Min(4, data.Length)].ToArray()).Replace('-', ' ');
}
