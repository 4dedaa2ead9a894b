using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Edge.Agent.Interop.Mosquitto;

/// <summary>
/// An owned <c>struct mosquitto*</c>, destroyed with mosquitto_destroy. It also owns the GCHandle passed as the
/// callbacks' <c>obj</c>, freed only after the client is destroyed so no callback can see a freed handle.
/// </summary>
internal sealed class MosquittoHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public MosquittoHandle() : base(ownsHandle: true) { }

    /// <summary>The GCHandle given to mosquitto_new as callback user data; zero when none.</summary>
    public nint CallbackTarget { get; set; }

    protected override bool ReleaseHandle()
    {
        MosquittoNative.mosquitto_destroy(handle);
        if (CallbackTarget != 0)
            GCHandle.FromIntPtr(CallbackTarget).Free();
        return true;
    }
}
