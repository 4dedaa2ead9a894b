using System.Runtime.InteropServices;

namespace Edge.Models.Interop.TurboJpeg;

/// <summary>
/// The TurboJPEG 2.x C API (turbojpeg.h) entry points we use, with the C types beside each parameter.
/// Only the handful of calls the codecs need; everything returns -1 / NULL on failure and reports
/// the reason through <see cref="tjGetErrorStr2"/>.
/// </summary>
internal static unsafe partial class TurboJpegNative
{
    public const string Library = "libturbojpeg.so.0";

    /// <summary>enum TJPF: packed pixel formats.</summary>
    public const int TJPF_RGB = 0, TJPF_BGR = 1, TJPF_GRAY = 6, TJPF_RGBA = 7, TJPF_CMYK = 11;

    /// <summary>enum TJSAMP: chroma subsampling.</summary>
    public const int TJSAMP_444 = 0, TJSAMP_422 = 1, TJSAMP_420 = 2, TJSAMP_GRAY = 3;

    /// <summary>enum TJCS: JPEG colour spaces.</summary>
    public const int TJCS_RGB = 0, TJCS_YCbCr = 1, TJCS_GRAY = 2, TJCS_CMYK = 3, TJCS_YCCK = 4;

    /// <summary>TJFLAG_* bits.</summary>
    public const int TJFLAG_NOREALLOC = 1024, TJFLAG_FASTDCT = 2048, TJFLAG_ACCURATEDCT = 4096,
        TJFLAG_STOPONWARNING = 8192, TJFLAG_LIMITSCANS = 32768;

    /// <summary>tjhandle tjInitCompress(void)</summary>
    [LibraryImport(Library)]
    public static partial TurboJpegHandle tjInitCompress();

    /// <summary>int tjCompress2(tjhandle, const unsigned char *srcBuf, int width, int pitch, int height,
    /// int pixelFormat, unsigned char **jpegBuf, unsigned long *jpegSize, int jpegSubsamp, int jpegQual, int flags)</summary>
    [LibraryImport(Library)]
    public static partial int tjCompress2(
        TurboJpegHandle handle, byte* srcBuf, int width, int pitch, int height, int pixelFormat,
        byte** jpegBuf, CULong* jpegSize, int jpegSubsamp, int jpegQual, int flags);

    /// <summary>tjhandle tjInitDecompress(void)</summary>
    [LibraryImport(Library)]
    public static partial TurboJpegHandle tjInitDecompress();

    /// <summary>int tjDecompressHeader3(tjhandle, const unsigned char *jpegBuf, unsigned long jpegSize,
    /// int *width, int *height, int *jpegSubsamp, int *jpegColorspace)</summary>
    [LibraryImport(Library)]
    public static partial int tjDecompressHeader3(
        TurboJpegHandle handle, byte* jpegBuf, CULong jpegSize,
        int* width, int* height, int* jpegSubsamp, int* jpegColorspace);

    /// <summary>int tjDecompress2(tjhandle, const unsigned char *jpegBuf, unsigned long jpegSize,
    /// unsigned char *dstBuf, int width, int pitch, int height, int pixelFormat, int flags)</summary>
    [LibraryImport(Library)]
    public static partial int tjDecompress2(
        TurboJpegHandle handle, byte* jpegBuf, CULong jpegSize,
        byte* dstBuf, int width, int pitch, int height, int pixelFormat, int flags);

    /// <summary>int tjDestroy(tjhandle) — takes the raw handle because it runs from ReleaseHandle.</summary>
    [LibraryImport(Library)]
    public static partial int tjDestroy(nint handle);

    /// <summary>void tjFree(unsigned char *buffer)</summary>
    [LibraryImport(Library)]
    public static partial void tjFree(byte* buffer);

    /// <summary>char *tjGetErrorStr2(tjhandle) — a string owned by the handle (or thread-local for NULL); never freed.</summary>
    [LibraryImport(Library)]
    public static partial byte* tjGetErrorStr2(nint handle);
}
