using System.Runtime.InteropServices;

namespace Edge.Models.Interop.FreeType;

/// <summary>
/// The FreeType 2 entry points the text renderer needs, declared as in <c>freetype.h</c> with the C
/// type beside each parameter. C <c>long</c> (FT_Long, FT_Pos, FT_Fixed) is <see cref="CLong"/>.
/// </summary>
internal static unsafe partial class FreeTypeNative
{
    private const string Library = "libfreetype.so.6";

    public const int LoadNoBitmap = 1 << 3;           // FT_LOAD_NO_BITMAP: always rasterise outlines, never embedded strikes
    public const int LoadTargetLight = 1 << 16;       // FT_LOAD_TARGET_LIGHT: vertical-only hinting keeps CJK strokes natural
    public const int RenderModeNormal = 0;            // FT_RENDER_MODE_NORMAL: 8-bit anti-aliased coverage
    public const byte PixelModeMono = 1;              // FT_PIXEL_MODE_MONO
    public const byte PixelModeGray = 2;              // FT_PIXEL_MODE_GRAY

    [LibraryImport(Library)]
    public static partial int FT_Init_FreeType(nint* alibrary /* FT_Library* */);

    [LibraryImport(Library)]
    public static partial int FT_Done_FreeType(nint library /* FT_Library */);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int FT_New_Face(
        FreeTypeLibraryHandle library /* FT_Library */,
        string filepathname /* const char* */,
        CLong faceIndex /* FT_Long */,
        nint* aface /* FT_Face* */);

    [LibraryImport(Library)]
    public static partial int FT_Done_Face(nint face /* FT_Face */);

    [LibraryImport(Library)]
    public static partial int FT_Set_Pixel_Sizes(FreeTypeFaceHandle face /* FT_Face */, uint pixelWidth /* FT_UInt */, uint pixelHeight /* FT_UInt */);

    [LibraryImport(Library)]
    public static partial uint /* FT_UInt */ FT_Get_Char_Index(FreeTypeFaceHandle face /* FT_Face */, CULong charcode /* FT_ULong */);

    [LibraryImport(Library)]
    public static partial int FT_Load_Glyph(FreeTypeFaceHandle face /* FT_Face */, uint glyphIndex /* FT_UInt */, int loadFlags /* FT_Int32 */);

    [LibraryImport(Library)]
    public static partial int FT_Render_Glyph(GlyphSlotRec* slot /* FT_GlyphSlot */, int renderMode /* FT_Render_Mode */);

    /// <summary>FT_FaceRec up to the public fields we read; FreeType owns the memory.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct FaceRec
    {
        public CLong NumFaces;
        public CLong FaceIndex;
        public CLong FaceFlags;
        public CLong StyleFlags;
        public CLong NumGlyphs;
        public byte* FamilyName;
        public byte* StyleName;
        public int NumFixedSizes;
        public void* AvailableSizes;
        public int NumCharmaps;
        public void* Charmaps;
        public Generic Generic;
        public BBox BBox;
        public ushort UnitsPerEm;
        public short Ascender;
        public short Descender;
        public short Height;
        public short MaxAdvanceWidth;
        public short MaxAdvanceHeight;
        public short UnderlinePosition;
        public short UnderlineThickness;
        public GlyphSlotRec* Glyph;
        public SizeRec* Size;
        public void* Charmap;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Generic
    {
        public void* Data;
        public void* Finalizer;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct BBox
    {
        public CLong XMin, YMin, XMax, YMax;
    }

    /// <summary>FT_SizeRec: <see cref="SizeMetrics"/> holds the scaled ascender/descender in 26.6.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SizeRec
    {
        public void* Face;
        public Generic Generic;
        public SizeMetrics Metrics;
        public void* Internal;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SizeMetrics
    {
        public ushort XPpem;
        public ushort YPpem;
        public CLong XScale;
        public CLong YScale;
        public CLong Ascender;
        public CLong Descender;
        public CLong Height;
        public CLong MaxAdvance;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct GlyphMetrics
    {
        public CLong Width, Height;
        public CLong HoriBearingX, HoriBearingY, HoriAdvance;
        public CLong VertBearingX, VertBearingY, VertAdvance;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Bitmap
    {
        public uint Rows;
        public uint Width;
        public int Pitch;
        public byte* Buffer;
        public ushort NumGrays;
        public byte PixelMode;
        public byte PaletteMode;
        public void* Palette;
    }

    /// <summary>FT_GlyphSlotRec up to <c>bitmap_top</c>; later fields are never read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct GlyphSlotRec
    {
        public void* Library;
        public void* Face;
        public void* Next;
        public uint GlyphIndex;
        public Generic Generic;
        public GlyphMetrics Metrics;
        public CLong LinearHoriAdvance;
        public CLong LinearVertAdvance;
        public CLong AdvanceX;
        public CLong AdvanceY;
        public uint Format;
        public Bitmap Bitmap;
        public int BitmapLeft;
        public int BitmapTop;
    }
}
