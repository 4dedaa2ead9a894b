using System.Runtime.InteropServices;

namespace Edge.Models.Interop.FreeType;

/// <summary>One FreeType library instance. Not thread-safe: FreeType objects need outside serialisation.</summary>
internal sealed class FreeTypeLibrary : IDisposable
{
    private readonly FreeTypeLibraryHandle _handle = FreeTypeLibraryHandle.Create();

    /// <summary>Opens face <paramref name="faceIndex"/> of a font file (.ttf, .otf, or one face of a .ttc).</summary>
    public unsafe FreeTypeFace OpenFace(string path, int faceIndex = 0)
    {
        nint face;
        FreeTypeException.ThrowIfFailed(FreeTypeNative.FT_New_Face(_handle, path, new CLong(faceIndex), &face), "FT_New_Face", path);
        return new FreeTypeFace(new FreeTypeFaceHandle(face, _handle), path);
    }

    public void Dispose() => _handle.Dispose();
}
