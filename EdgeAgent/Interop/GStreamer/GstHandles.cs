using Microsoft.Win32.SafeHandles;

namespace Edge.Agent.Interop.GStreamer;

/// <summary>An owned GstObject reference (an element, a bus); released with gst_object_unref.</summary>
internal sealed class GstObjectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public GstObjectHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        GstNative.gst_object_unref(handle);
        return true;
    }
}

/// <summary>An owned top-level pipeline: set to NULL state (stopping its threads) before the last unref.</summary>
internal sealed class GstPipelineHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public GstPipelineHandle() : base(ownsHandle: true) { }

    /// <summary>Takes over a reference the caller owns (already sunk if it was floating).</summary>
    public GstPipelineHandle(nint owned) : base(ownsHandle: true) => SetHandle(owned);

    protected override bool ReleaseHandle()
    {
        // Downward state changes to NULL are synchronous: streaming threads have stopped when this returns.
        GstNative.gst_element_set_state(handle, GstNative.GST_STATE_NULL);
        GstNative.gst_object_unref(handle);
        return true;
    }
}

/// <summary>An owned GstMiniObject reference (caps kept for comparison); released with gst_mini_object_unref.</summary>
internal sealed class GstMiniObjectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public GstMiniObjectHandle() : base(ownsHandle: true) { }

    /// <summary>Takes a new reference on <paramref name="borrowed"/>.</summary>
    public static GstMiniObjectHandle Ref(nint borrowed)
    {
        var owned = new GstMiniObjectHandle();
        owned.SetHandle(GstNative.gst_mini_object_ref(borrowed));
        return owned;
    }

    protected override bool ReleaseHandle()
    {
        GstNative.gst_mini_object_unref(handle);
        return true;
    }
}
