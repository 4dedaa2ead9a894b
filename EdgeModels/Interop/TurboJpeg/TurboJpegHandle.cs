using Microsoft.Win32.SafeHandles;

namespace Edge.Models.Interop.TurboJpeg;

/// <summary>An owned tjhandle (compressor or decompressor); destroyed with tjDestroy.</summary>
internal sealed class TurboJpegHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public TurboJpegHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle() => TurboJpegNative.tjDestroy(handle) == 0;
}
