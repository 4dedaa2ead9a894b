using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Edge.Models.Imaging;
using static Edge.Models.Interop.TurboJpeg.TurboJpegNative;

namespace Edge.Models.Interop.TurboJpeg;

/// <summary>What <c>tjDecompressHeader3</c> reports: size, TJSAMP_* subsampling and TJCS_* colour space.</summary>
internal readonly record struct JpegHeader(int Width, int Height, int Subsampling, int Colorspace);

/// <summary>
/// Safe wrapper over libturbojpeg: spans in, spans out, one error path. Handles are per thread
/// (a tjhandle is not thread-safe) and live as long as the thread, so steady-state calls allocate nothing.
/// </summary>
internal static unsafe class TurboJpeg
{
    public const string MissingLibraryMessage = "libturbojpeg.so.0 not found: install libturbojpeg0 (scripts/setup does this)";

    [ThreadStatic] private static TurboJpegHandle? t_decompressor;
    [ThreadStatic] private static TurboJpegHandle? t_compressor;

    public static JpegHeader ReadHeader(ReadOnlySpan<byte> jpeg)
    {
        var handle = t_decompressor ??= Create(decoding: true);
        int width = 0, height = 0, subsampling = -1, colorspace = -1;
        fixed (byte* src = jpeg)
        {
            int rc = tjDecompressHeader3(handle, src, new CULong((nuint)jpeg.Length), &width, &height, &subsampling, &colorspace);
            Check(rc, handle, decoding: true);
        }
        if (width <= 0 || height <= 0)
        {
            // A tables-only (or cut-short) stream "succeeds" without a frame and leaves the decompressor mid-stream.
            Discard(handle);
            throw new ImageDecodeException("JPEG decode failed: no image frame in the data (truncated, or tables only)");
        }
        return new JpegHeader(width, height, subsampling, colorspace);
    }

    /// <summary>Decompresses at full size into <paramref name="destination"/>, rows <paramref name="pitch"/> bytes apart.</summary>
    public static void Decompress(ReadOnlySpan<byte> jpeg, Span<byte> destination, int width, int pitch, int height, int pixelFormat)
    {
        if ((long)pitch * (height - 1) + (long)width * PixelSize(pixelFormat) > destination.Length)
            throw new ArgumentException($"destination holds {destination.Length} bytes, too few for {width}x{height} with pitch {pitch}", nameof(destination));
        var handle = t_decompressor ??= Create(decoding: true);
        fixed (byte* src = jpeg)
        fixed (byte* dst = destination)
        {
            // Warnings (truncated data, corrupt segments) fail too: a half-grey frame is worse than a dropped one.
            int rc = tjDecompress2(handle, src, new CULong((nuint)jpeg.Length), dst, width, pitch, height, pixelFormat,
                TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS);
            Check(rc, handle, decoding: true);
        }
    }

    /// <summary>Compresses packed pixels; the result owns a libturbojpeg buffer until disposed.</summary>
    public static CompressedJpeg Compress(ReadOnlySpan<byte> pixels, int width, int pitch, int height, int pixelFormat, int subsampling, int quality)
    {
        if ((long)pitch * (height - 1) + (long)width * PixelSize(pixelFormat) > pixels.Length)
            throw new ArgumentException($"source holds {pixels.Length} bytes, too few for {width}x{height} with pitch {pitch}", nameof(pixels));
        var handle = t_compressor ??= Create(decoding: false);
        byte* jpeg = null;
        CULong size = default;
        fixed (byte* src = pixels)
        {
            int rc = tjCompress2(handle, src, width, pitch, height, pixelFormat, &jpeg, &size, subsampling, quality, 0);
            if (rc != 0)
            {
                tjFree(jpeg);
                Check(rc, handle, decoding: false);
            }
        }
        return new CompressedJpeg(jpeg, checked((int)size.Value));
    }

    private static int PixelSize(int pixelFormat) => pixelFormat switch
    {
        TJPF_GRAY => 1,
        TJPF_RGB or TJPF_BGR => 3,
        _ => 4,
    };

    private static TurboJpegHandle Create(bool decoding)
    {
        TurboJpegHandle handle;
        try
        {
            handle = decoding ? tjInitDecompress() : tjInitCompress();
        }
        catch (DllNotFoundException e)
        {
            throw Error(decoding, MissingLibraryMessage, e);
        }
        catch (EntryPointNotFoundException e)
        {
            throw Error(decoding, $"libturbojpeg.so.0 lacks the TurboJPEG 2 API ({e.Message}): install libturbojpeg0 2.0 or newer", e);
        }
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw Error(decoding, $"cannot create a TurboJPEG instance: {ErrorText(0)}", null);
        }
        return handle;
    }

    /// <summary>The one error path: every failing call becomes a typed exception carrying libjpeg-turbo's text.</summary>
    private static void Check(int rc, TurboJpegHandle handle, bool decoding)
    {
        if (rc != 0) Throw(handle, decoding);
    }

    [DoesNotReturn]
    private static void Throw(TurboJpegHandle handle, bool decoding)
    {
        var error = Error(decoding, $"JPEG {(decoding ? "decode" : "encode")} failed: {ErrorText(handle.DangerousGetHandle())}", null);
        Discard(handle);
        throw error;
    }

    /// <summary>Drops a handle after a failure so no half-finished libjpeg state leaks into the next image.</summary>
    private static void Discard(TurboJpegHandle handle)
    {
        if (ReferenceEquals(handle, t_decompressor)) t_decompressor = null;
        if (ReferenceEquals(handle, t_compressor)) t_compressor = null;
        handle.Dispose();
    }

    private static Exception Error(bool decoding, string message, Exception? inner) =>
        decoding ? new ImageDecodeException(message, inner) : new ImageEncodeException(message, inner);

    private static string ErrorText(nint handle) =>
        Marshal.PtrToStringUTF8((nint)tjGetErrorStr2(handle)) ?? "unknown error";
}

/// <summary>A compressed JPEG in libturbojpeg's memory; read <see cref="Bytes"/>, then dispose to tjFree it.</summary>
internal unsafe ref struct CompressedJpeg
{
    private byte* _buffer;
    private readonly int _length;

    internal CompressedJpeg(byte* buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    public readonly ReadOnlySpan<byte> Bytes => _buffer == null ? default : new(_buffer, _length);

    public void Dispose()
    {
        tjFree(_buffer);
        _buffer = null;
    }
}
