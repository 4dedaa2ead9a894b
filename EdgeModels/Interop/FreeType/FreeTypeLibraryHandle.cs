using Microsoft.Win32.SafeHandles;

namespace Edge.Models.Interop.FreeType;

/// <summary>An FT_Library; released with FT_Done_FreeType once every face opened from it is gone.</summary>
internal sealed class FreeTypeLibraryHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public FreeTypeLibraryHandle() : base(ownsHandle: true) { }

    public static unsafe FreeTypeLibraryHandle Create()
    {
        nint library;
        FreeTypeException.ThrowIfFailed(FreeTypeNative.FT_Init_FreeType(&library), "FT_Init_FreeType");
        var handle = new FreeTypeLibraryHandle();
        handle.SetHandle(library);
        return handle;
    }

    protected override bool ReleaseHandle() => FreeTypeNative.FT_Done_FreeType(handle) == 0;
}
