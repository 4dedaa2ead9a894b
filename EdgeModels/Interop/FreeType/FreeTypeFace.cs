using System.Runtime.InteropServices;
using static Edge.Models.Interop.FreeType.FreeTypeNative;

namespace Edge.Models.Interop.FreeType;

/// <summary>
/// One opened font face. Everything it returns is managed memory; the glyph slot it renders into
/// is reused by the next call. Not thread-safe.
/// </summary>
internal sealed unsafe class FreeTypeFace : IDisposable
{
    private readonly FreeTypeFaceHandle _handle;
    private int _pixelSize;

    internal FreeTypeFace(FreeTypeFaceHandle handle, string path)
    {
        _handle = handle;
        Path = path;
        FamilyName = Marshal.PtrToStringUTF8((nint)Rec->FamilyName) ?? "";
        FaceCount = (int)Rec->NumFaces.Value;
    }

    public string Path { get; }
    public string FamilyName { get; }

    /// <summary>How many faces the file holds (a .ttc holds several).</summary>
    public int FaceCount { get; }

    /// <summary>Scaled ascender at the current size, whole pixels above the baseline.</summary>
    public int Ascender => (int)((Rec->Size->Metrics.Ascender.Value + 63) >> 6);

    /// <summary>Scaled descender at the current size, whole pixels below the baseline (negative).</summary>
    public int Descender => (int)(Rec->Size->Metrics.Descender.Value >> 6);

    private FaceRec* Rec
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return (FaceRec*)_handle.DangerousGetHandle();
        }
    }

    public void SetPixelSize(int pixelSize)
    {
        if (pixelSize == _pixelSize) return;
        FreeTypeException.ThrowIfFailed(FT_Set_Pixel_Sizes(_handle, 0, (uint)pixelSize), "FT_Set_Pixel_Sizes", $"{pixelSize} px");
        _pixelSize = pixelSize;
    }

    /// <summary>The glyph for a Unicode code point, or 0 when the face lacks it (0 renders as the notdef box).</summary>
    public uint GlyphIndex(int codePoint) => FT_Get_Char_Index(_handle, new CULong((uint)codePoint));

    /// <summary>Renders a glyph at the current pixel size as anti-aliased coverage.</summary>
    public GlyphBitmap Render(uint glyphIndex)
    {
        FreeTypeException.ThrowIfFailed(FT_Load_Glyph(_handle, glyphIndex, LoadNoBitmap | LoadTargetLight), "FT_Load_Glyph", $"glyph {glyphIndex} of {FamilyName}");
        GlyphSlotRec* slot = Rec->Glyph;
        FreeTypeException.ThrowIfFailed(FT_Render_Glyph(slot, RenderModeNormal), "FT_Render_Glyph", $"glyph {glyphIndex} of {FamilyName}");

        ref readonly Bitmap bitmap = ref slot->Bitmap;
        int width = (int)bitmap.Width, height = (int)bitmap.Rows, pitch = bitmap.Pitch;
        var coverage = new byte[width * height];
        // A negative pitch means rows run bottom-up from the buffer start; stepping by pitch still goes down.
        byte* row = pitch >= 0 ? bitmap.Buffer : bitmap.Buffer - (nint)pitch * (height - 1);
        for (int y = 0; y < height; y++, row += pitch)
        {
            var dst = coverage.AsSpan(y * width, width);
            switch (bitmap.PixelMode)
            {
                case PixelModeGray:
                    new ReadOnlySpan<byte>(row, width).CopyTo(dst);
                    break;
                case PixelModeMono:
                    for (int x = 0; x < width; x++) dst[x] = (row[x >> 3] & (0x80 >> (x & 7))) != 0 ? (byte)255 : (byte)0;
                    break;
                default:
                    throw new NotSupportedException($"FreeType pixel mode {bitmap.PixelMode} from {FamilyName} is not supported");
            }
        }
        return new GlyphBitmap(width, height, slot->BitmapLeft, slot->BitmapTop, (int)slot->AdvanceX.Value, coverage);
    }

    public void Dispose() => _handle.Dispose();
}
