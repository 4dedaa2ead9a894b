using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Edge.Agent.Mqtt;
using static Edge.Agent.Interop.Mosquitto.MosquittoNative;

namespace Edge.Agent.Interop.Mosquitto;

/// <summary>Process-wide libmosquitto set-up and the one error path: every failing call becomes a <see cref="MosquittoException"/>.</summary>
internal static unsafe class MosquittoLibrary
{
    public const string MissingLibraryMessage = "libmosquitto.so.1 not found: install libmosquitto1 (scripts/setup does this)";

    private static readonly Lock s_initLock = new();
    private static bool s_initialized;

    /// <summary>Calls mosquitto_lib_init once per process (it is not thread safe) and checks the library is 2.x or newer.</summary>
    public static void EnsureInitialized()
    {
        lock (s_initLock)
        {
            if (s_initialized) return;
            int major = 0, minor = 0, revision = 0;
            try
            {
                mosquitto_lib_version(&major, &minor, &revision);
            }
            catch (DllNotFoundException e)
            {
                throw new MosquittoException(MOSQ_ERR_NOT_FOUND, ErrorText(MOSQ_ERR_NOT_FOUND, fallback: "not found"), MissingLibraryMessage, e);
            }
            if (major < 2)
                throw new MosquittoException(MOSQ_ERR_NOT_SUPPORTED, ErrorText(MOSQ_ERR_NOT_SUPPORTED),
                    $"libmosquitto {major}.{minor}.{revision} is too old: MQTT 5 support needs libmosquitto 2.0 or newer (install libmosquitto1 from a current distribution)");
            Check(mosquitto_lib_init(), "mosquitto_lib_init");
            s_initialized = true;
        }
    }

    /// <summary>Throws for any rc other than MOSQ_ERR_SUCCESS; <paramref name="what"/> says what was being done.</summary>
    public static void Check(int rc, string what)
    {
        if (rc != MOSQ_ERR_SUCCESS) Throw(rc, what);
    }

    [DoesNotReturn]
    public static void Throw(int rc, string what) => throw Error(rc, what);

    /// <summary>The exception for a failed call, for callers that fault a task instead of throwing.</summary>
    public static MosquittoException Error(int rc, string what)
    {
        string text = ErrorText(rc);
        return new MosquittoException(rc, text, $"{what} failed: {text} (MOSQ_ERR {rc})");
    }

    /// <summary>mosquitto_strerror's text for a MOSQ_ERR_* code (MOSQ_ERR_ERRNO reads errno, so callers prefer <see cref="ErrnoText"/>).</summary>
    public static string ErrorText(int rc, string fallback = "unknown error")
    {
        try
        {
            return Marshal.PtrToStringUTF8((nint)mosquitto_strerror(rc)) ?? fallback;
        }
        catch (DllNotFoundException)
        {
            return fallback;
        }
    }

    /// <summary>The C library's text for an errno value captured right after the failing call.</summary>
    public static string ErrnoText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>Text for a CONNACK code: MQTT 5 reason codes and 3.1.1 return codes have different tables.</summary>
    public static string ConnackText(int code, bool mqtt5) =>
        Marshal.PtrToStringUTF8((nint)(mqtt5 ? mosquitto_reason_string(code) : mosquitto_connack_string(code))) ?? "unknown";

    /// <summary>Text for an MQTT 5 reason code (PUBACK, SUBACK, DISCONNECT).</summary>
    public static string ReasonText(int code) => Marshal.PtrToStringUTF8((nint)mosquitto_reason_string(code)) ?? "unknown";
}
