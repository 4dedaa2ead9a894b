using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Edge.Models.Onnx;

namespace Edge.Models.Interop.Onnx;

/// <summary>The one error path and the small string helpers every ORT call shares.</summary>
internal static unsafe class Ort
{
    private static OrtApi* s_api;

    /// <summary>The function table; set once by <see cref="OrtRuntime.Load"/> before any other call.</summary>
    public static OrtApi* Api
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_api;
    }

    internal static void SetApi(OrtApi* api) => s_api = api;

    /// <summary>Throws <see cref="OnnxRuntimeException"/> for a non-null status, releasing it either way.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ThrowIfFailed(nint status)
    {
        if (status != 0) Throw(status);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(nint status)
    {
        OrtErrorCode code;
        string message;
        try
        {
            code = (OrtErrorCode)s_api->GetErrorCode(status);
            message = (Marshal.PtrToStringUTF8((nint)s_api->GetErrorMessage(status)) ?? "").TrimEnd(); // ORT ends some with '\n'
        }
        finally
        {
            s_api->ReleaseStatus(status);
        }
        throw new OnnxRuntimeException(code, message);
    }

    /// <summary>A NUL-terminated UTF-8 copy, for calls made at load time (not on the hot path).</summary>
    public static byte[] Utf8(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    public static string ReadUtf8(byte* value) => Marshal.PtrToStringUTF8((nint)value) ?? "";

    /// <summary>Reads a string ORT allocated with <paramref name="allocator"/> and frees it.</summary>
    public static string TakeUtf8(nint allocator, byte* value)
    {
        if (value == null) return "";
        try
        {
            return ReadUtf8(value);
        }
        finally
        {
            ThrowIfFailed(s_api->AllocatorFree(allocator, value));
        }
    }
}
