using Microsoft.Win32.SafeHandles;

namespace Edge.Models.Interop.FreeType;

/// <summary>
/// An FT_Face. Holds a reference on its library so FT_Done_FreeType cannot run first and free the
/// face underneath it.
/// </summary>
internal sealed class FreeTypeFaceHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly FreeTypeLibraryHandle _library;

    public FreeTypeFaceHandle(nint face, FreeTypeLibraryHandle library) : base(ownsHandle: true)
    {
        bool added = false;
        library.DangerousAddRef(ref added);
        _library = library;
        SetHandle(face);
    }

    protected override bool ReleaseHandle()
    {
        int error = FreeTypeNative.FT_Done_Face(handle);
        _library.DangerousRelease();
        return error == 0;
    }
}
