using System.Runtime.InteropServices;
using static Edge.Agent.Interop.GStreamer.GstNative;

namespace Edge.Agent.Interop.GStreamer;

/// <summary>
/// Initialises GStreamer once per process and is the one error path of the binding: every GError,
/// missing library or refused call becomes a <see cref="GStreamerException"/> carrying GStreamer's text.
/// </summary>
internal static unsafe class GstRuntime
{
    public const string MissingLibraryMessage =
        "GStreamer not found: install libgstreamer1.0-0 and gstreamer1.0-plugins-base/good (scripts/setup does this)";

    private static readonly Lock s_lock = new();
    private static bool s_initialized;

    public static nuint AppSinkType { get; private set; }
    public static nuint BinType { get; private set; }

    /// <summary>Calls gst_init_check the first time; later calls return at once.</summary>
    public static void EnsureInitialized()
    {
        if (Volatile.Read(ref s_initialized)) return;
        lock (s_lock)
        {
            if (s_initialized) return;
            try
            {
                GError* error = null;
                if (gst_init_check(null, null, &error) == 0)
                    throw TakeError(error, "GStreamer failed to initialise");
                // Touch the app, video and GObject libraries now so a missing one fails here, with the hint.
                AppSinkType = gst_app_sink_get_type();
                BinType = gst_bin_get_type();
                GstVideoInfo probe;
                gst_video_info_init(&probe);
                g_type_check_instance_is_a(0, BinType);
            }
            catch (DllNotFoundException e)
            {
                throw new GStreamerException($"{MissingLibraryMessage} ({e.Message})", e);
            }
            catch (EntryPointNotFoundException e)
            {
                throw new GStreamerException($"GStreamer is too old, 1.20 or newer is needed: {e.Message}", e);
            }
            Volatile.Write(ref s_initialized, true);
        }
    }

    /// <summary>Turns a GError into an exception and frees it; a NULL error still gives a message.</summary>
    public static GStreamerException TakeError(GError* error, string context)
    {
        if (error == null) return new GStreamerException($"{context} (no reason given)");
        try
        {
            return new GStreamerException($"{context}: {Utf8(error->Message)}");
        }
        finally
        {
            g_error_free(error);
        }
    }

    /// <summary>Copies a GLib-owned string and g_frees it.</summary>
    public static string? TakeString(byte* text)
    {
        if (text == null) return null;
        try
        {
            return Utf8(text);
        }
        finally
        {
            g_free(text);
        }
    }

    public static string Utf8(byte* text) => Marshal.PtrToStringUTF8((nint)text) ?? "";

    public static bool IsA(nint instance, nuint type) => instance != 0 && g_type_check_instance_is_a(instance, type) != 0;
}
