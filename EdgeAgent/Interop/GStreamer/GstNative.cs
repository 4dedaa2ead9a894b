using System.Runtime.InteropServices;

namespace Edge.Agent.Interop.GStreamer;

/// <summary>
/// The GStreamer 1.x C entry points we use (gst.h, gstappsink.h, video-info.h, and the GLib/GObject
/// calls they need), with the C types beside each parameter. Everything here is blittable: gboolean
/// is <c>int</c>, GType is <c>nuint</c>, GstClockTime is <c>ulong</c> nanoseconds.
/// </summary>
internal static unsafe partial class GstNative
{
    public const string Gst = "libgstreamer-1.0.so.0";
    public const string App = "libgstapp-1.0.so.0";
    public const string Video = "libgstvideo-1.0.so.0";
    public const string GLib = "libglib-2.0.so.0";
    public const string GObject = "libgobject-2.0.so.0";

    /// <summary>enum GstState.</summary>
    public const int GST_STATE_NULL = 1, GST_STATE_READY = 2, GST_STATE_PAUSED = 3, GST_STATE_PLAYING = 4;

    /// <summary>enum GstStateChangeReturn.</summary>
    public const int GST_STATE_CHANGE_FAILURE = 0, GST_STATE_CHANGE_SUCCESS = 1,
        GST_STATE_CHANGE_ASYNC = 2, GST_STATE_CHANGE_NO_PREROLL = 3;

    /// <summary>GstMessageType bits.</summary>
    public const uint GST_MESSAGE_EOS = 1u << 0, GST_MESSAGE_ERROR = 1u << 1, GST_MESSAGE_WARNING = 1u << 2;

    /// <summary>GstMapFlags: GST_MAP_READ (= GST_LOCK_FLAG_READ).</summary>
    public const int GST_MAP_READ = 1;

    /// <summary>GstParseFlags: always return NULL on error instead of a partly built pipeline.</summary>
    public const int GST_PARSE_FLAG_FATAL_ERRORS = 1;

    /// <summary>GST_CLOCK_TIME_NONE: wait forever.</summary>
    public const ulong GST_CLOCK_TIME_NONE = ulong.MaxValue;

    // ---- gst.h: init, parse, elements, bins, bus, messages, objects ----

    /// <summary>gboolean gst_init_check(int *argc, char **argv[], GError **error)</summary>
    [LibraryImport(Gst)]
    public static partial int gst_init_check(int* argc, byte*** argv, GError** error);

    /// <summary>GstElement *gst_parse_launch_full(const gchar *pipeline_description, GstParseContext *context,
    /// GstParseFlags flags, GError **error) — returns a floating reference.</summary>
    [LibraryImport(Gst, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint gst_parse_launch_full(string pipelineDescription, nint context, int flags, GError** error);

    /// <summary>GstElement *gst_bin_get_by_name(GstBin *bin, const gchar *name) — transfer full, NULL when absent.</summary>
    [LibraryImport(Gst, StringMarshalling = StringMarshalling.Utf8)]
    public static partial GstObjectHandle gst_bin_get_by_name(GstPipelineHandle bin, string name);

    /// <summary>GType gst_bin_get_type(void)</summary>
    [LibraryImport(Gst)]
    public static partial nuint gst_bin_get_type();

    /// <summary>GstStateChangeReturn gst_element_set_state(GstElement *element, GstState state)</summary>
    [LibraryImport(Gst)]
    public static partial int gst_element_set_state(nint element, int state);

    /// <summary>GstBus *gst_element_get_bus(GstElement *element) — transfer full.</summary>
    [LibraryImport(Gst)]
    public static partial GstObjectHandle gst_element_get_bus(GstPipelineHandle element);

    /// <summary>GstMessage *gst_bus_timed_pop_filtered(GstBus *bus, GstClockTime timeout, GstMessageType types)
    /// — transfer full, NULL when nothing matched in time.</summary>
    [LibraryImport(Gst)]
    public static partial nint gst_bus_timed_pop_filtered(GstObjectHandle bus, ulong timeout, uint types);

    /// <summary>void gst_message_parse_error(GstMessage *message, GError **gerror, gchar **debug)</summary>
    [LibraryImport(Gst)]
    public static partial void gst_message_parse_error(nint message, GError** gerror, byte** debug);

    /// <summary>void gst_message_parse_warning(GstMessage *message, GError **gerror, gchar **debug)</summary>
    [LibraryImport(Gst)]
    public static partial void gst_message_parse_warning(nint message, GError** gerror, byte** debug);

    /// <summary>gchar *gst_object_get_name(GstObject *object) — free with g_free.</summary>
    [LibraryImport(Gst)]
    public static partial byte* gst_object_get_name(nint gstObject);

    /// <summary>gpointer gst_object_ref_sink(gpointer object) — takes ownership of a floating reference.</summary>
    [LibraryImport(Gst)]
    public static partial nint gst_object_ref_sink(nint gstObject);

    /// <summary>void gst_object_unref(gpointer object)</summary>
    [LibraryImport(Gst)]
    public static partial void gst_object_unref(nint gstObject);

    /// <summary>GstMiniObject *gst_mini_object_ref(GstMiniObject *mini_object)</summary>
    [LibraryImport(Gst)]
    public static partial nint gst_mini_object_ref(nint miniObject);

    /// <summary>void gst_mini_object_unref(GstMiniObject *mini_object) — what the inline gst_sample_unref,
    /// gst_message_unref and gst_caps_unref call.</summary>
    [LibraryImport(Gst)]
    public static partial void gst_mini_object_unref(nint miniObject);

    // ---- samples, buffers, caps, structures ----

    /// <summary>GstBuffer *gst_sample_get_buffer(GstSample *sample) — transfer none.</summary>
    [LibraryImport(Gst)]
    public static partial nint gst_sample_get_buffer(nint sample);

    /// <summary>GstCaps *gst_sample_get_caps(GstSample *sample) — transfer none.</summary>
    [LibraryImport(Gst)]
    public static partial nint gst_sample_get_caps(nint sample);

    /// <summary>gboolean gst_buffer_map(GstBuffer *buffer, GstMapInfo *info, GstMapFlags flags)</summary>
    [LibraryImport(Gst)]
    public static partial int gst_buffer_map(nint buffer, GstMapInfo* info, int flags);

    /// <summary>void gst_buffer_unmap(GstBuffer *buffer, GstMapInfo *info)</summary>
    [LibraryImport(Gst)]
    public static partial void gst_buffer_unmap(nint buffer, GstMapInfo* info);

    /// <summary>GstStructure *gst_caps_get_structure(const GstCaps *caps, guint index) — transfer none.</summary>
    [LibraryImport(Gst)]
    public static partial nint gst_caps_get_structure(nint caps, uint index);

    /// <summary>gchar *gst_caps_to_string(const GstCaps *caps) — free with g_free.</summary>
    [LibraryImport(Gst)]
    public static partial byte* gst_caps_to_string(nint caps);

    /// <summary>gboolean gst_structure_get_int(const GstStructure *structure, const gchar *fieldname, gint *value)</summary>
    [LibraryImport(Gst)]
    public static partial int gst_structure_get_int(nint structure, byte* fieldname, int* value);

    /// <summary>const gchar *gst_structure_get_string(const GstStructure *structure, const gchar *fieldname)</summary>
    [LibraryImport(Gst)]
    public static partial byte* gst_structure_get_string(nint structure, byte* fieldname);

    // ---- gstappsink.h ----

    /// <summary>GstSample *gst_app_sink_try_pull_sample(GstAppSink *appsink, GstClockTime timeout)
    /// — transfer full; NULL on timeout or at end of stream.</summary>
    [LibraryImport(App)]
    public static partial nint gst_app_sink_try_pull_sample(GstObjectHandle appsink, ulong timeout);

    /// <summary>gboolean gst_app_sink_is_eos(GstAppSink *appsink)</summary>
    [LibraryImport(App)]
    public static partial int gst_app_sink_is_eos(GstObjectHandle appsink);

    /// <summary>GType gst_app_sink_get_type(void)</summary>
    [LibraryImport(App)]
    public static partial nuint gst_app_sink_get_type();

    // ---- video-info.h ----

    /// <summary>void gst_video_info_init(GstVideoInfo *info)</summary>
    [LibraryImport(Video)]
    public static partial void gst_video_info_init(GstVideoInfo* info);

    /// <summary>gboolean gst_video_info_from_caps(GstVideoInfo *info, const GstCaps *caps)</summary>
    [LibraryImport(Video)]
    public static partial int gst_video_info_from_caps(GstVideoInfo* info, nint caps);

    // ---- GLib / GObject ----

    /// <summary>void g_free(gpointer mem)</summary>
    [LibraryImport(GLib)]
    public static partial void g_free(void* mem);

    /// <summary>void g_error_free(GError *error)</summary>
    [LibraryImport(GLib)]
    public static partial void g_error_free(GError* error);

    /// <summary>gboolean g_type_check_instance_is_a(GTypeInstance *instance, GType iface_type)</summary>
    [LibraryImport(GObject)]
    public static partial int g_type_check_instance_is_a(nint instance, nuint type);
}

/// <summary>GError (gerror.h): GQuark domain; gint code; gchar *message.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GError
{
    public uint Domain;
    public int Code;
    public byte* Message;
}

/// <summary>
/// GstMapInfo (gstmemory.h), 104 bytes on 64-bit: GstMemory *memory; GstMapFlags flags; guint8 *data;
/// gsize size; gsize maxsize; gpointer user_data[4]; gpointer _gst_reserved[GST_PADDING = 4].
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GstMapInfo
{
    public nint Memory;
    public int Flags;
    public byte* Data;
    public nuint Size;
    public nuint MaxSize;
    public fixed ulong UserData[4];
    public fixed ulong Reserved[4];
}

/// <summary>
/// GstVideoInfo (video-info.h), 280 bytes on 64-bit. We read only width, height and stride[0]; the
/// trailing ABI union (GST_PADDING_LARGE = 20 pointers) is kept so gst_video_info_from_caps can write it.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GstVideoInfo
{
    public nint FormatInfo;        // const GstVideoFormatInfo *finfo
    public int InterlaceMode;      // GstVideoInterlaceMode
    public int Flags;              // GstVideoFlags
    public int Width;
    public int Height;
    public nuint Size;             // gsize: default size of one frame
    public int Views;
    public int ChromaSite;         // GstVideoChromaSite
    public fixed int Colorimetry[4]; // GstVideoColorimetry: range, matrix, transfer, primaries
    public int ParN, ParD, FpsN, FpsD;
    public fixed ulong Offset[4];  // gsize offset[GST_VIDEO_MAX_PLANES]
    public fixed int Stride[4];    // gint stride[GST_VIDEO_MAX_PLANES]
    public fixed ulong Abi[20];    // union { struct abi; gpointer _gst_reserved[GST_PADDING_LARGE]; }
}

/// <summary>
/// The public head of GstMessage (gstmessage.h): a GstMiniObject (64 bytes on 64-bit) then
/// GstMessageType type; guint64 timestamp; GstObject *src; guint32 seqnum. GST_MESSAGE_TYPE and
/// GST_MESSAGE_SRC are macros over these fields, so there is no function to call instead.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GstMessageHead
{
    public nuint MiniObjectType;   // GType
    public int RefCount;
    public int LockState;
    public uint MiniObjectFlags;
    public nint Copy, Dispose, Free;
    public uint PrivUint;
    public nint PrivPointer;
    public uint Type;              // GstMessageType
    public ulong Timestamp;
    public nint Source;            // GstObject *src
    public uint SeqNum;
}
