using Edge.Models.Interop.TurboJpeg;
using static Edge.Models.Interop.TurboJpeg.TurboJpegNative;

namespace Edge.Models.Imaging;

/// <summary>JPEG through libturbojpeg, decoding straight into the target's rows.</summary>
public static class JpegCodec
{
    /// <summary>Decodes at full size into <paramref name="target"/>, honouring its stride; CMYK JPEGs are refused.</summary>
    public static void Decode(ReadOnlySpan<byte> jpeg, ImageBuffer target, PixelFormat format = PixelFormat.Rgb24)
    {
        ArgumentNullException.ThrowIfNull(target);
        int pixelFormat = ToTurboJpeg(format);
        var header = TurboJpeg.ReadHeader(jpeg);
        if (header.Colorspace is TJCS_CMYK or TJCS_YCCK)
            throw new ImageDecodeException("unsupported JPEG: CMYK/YCCK colour space (convert it to RGB first)");
        ImageCodec.CheckSize(header.Width, header.Height, "JPEG");
        ImageCodec.PrepareTarget(target, header.Width, header.Height, format);
        TurboJpeg.Decompress(jpeg, target.BackingArray, header.Width, target.Stride, header.Height, pixelFormat);
    }

    /// <summary>Encodes Gray8 (as greyscale JPEG), Rgb24, Bgr24 or Rgba32 (alpha composited over white) with 4:2:0 chroma.</summary>
    public static byte[] Encode(ImageBuffer image, int quality = 90)
    {
        using var jpeg = Compress(image, quality);
        return jpeg.Bytes.ToArray();
    }

    /// <summary>Encodes like <see cref="Encode(ImageBuffer, int)"/>, writing straight from libturbojpeg's buffer.</summary>
    public static void Encode(ImageBuffer image, Stream output, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var jpeg = Compress(image, quality);
        output.Write(jpeg.Bytes);
    }

    private static CompressedJpeg Compress(ImageBuffer image, int quality)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        if (image.Width <= 0 || image.Height <= 0) throw new ImageEncodeException("cannot encode an empty image");
        if (image.Format == PixelFormat.Rgba32 && !IsOpaque(image))
        {
            // libjpeg-turbo would drop alpha; composite it so transparent areas come out white, as in every other conversion.
            using var opaque = new ImageBuffer(image.Width, image.Height, PixelFormat.Rgb24);
            ImageOps.ConvertFormat(image, opaque, PixelFormat.Rgb24);
            return Compress(opaque, quality);
        }
        int subsampling = image.Format == PixelFormat.Gray8 ? TJSAMP_GRAY : TJSAMP_420;
        return TurboJpeg.Compress(image.Data, image.Width, image.Stride, image.Height, ToTurboJpeg(image.Format), subsampling, quality);
    }

    private static bool IsOpaque(ImageBuffer image)
    {
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.Row(y);
            for (int i = 3; i < row.Length; i += 4)
                if (row[i] != 255) return false;
        }
        return true;
    }

    private static int ToTurboJpeg(PixelFormat format) => format switch
    {
        PixelFormat.Gray8 => TJPF_GRAY,
        PixelFormat.Rgb24 => TJPF_RGB,
        PixelFormat.Bgr24 => TJPF_BGR,
        PixelFormat.Rgba32 => TJPF_RGBA,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown pixel format"),
    };
}
