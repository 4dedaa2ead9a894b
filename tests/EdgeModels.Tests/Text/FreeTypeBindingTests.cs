using System.Runtime.InteropServices;
using Edge.Models.Interop.FreeType;
using Edge.Models.Text;
using static Edge.Models.Interop.FreeType.FreeTypeNative;

namespace Edge.Models.Tests.Text;

public class FreeTypeBindingTests
{
    [Fact]
    public void Struct_layouts_match_the_64_bit_C_ABI()
    {
        Assert.Equal(8, IntPtr.Size);
        // Offsets printed by offsetof() against FreeType 2.12's headers on x86-64; arm64 Linux is also LP64.
        Assert.Equal(16, (int)Marshal.OffsetOf<FaceRec>(nameof(FaceRec.FaceFlags)));
        Assert.Equal(40, (int)Marshal.OffsetOf<FaceRec>(nameof(FaceRec.FamilyName)));
        Assert.Equal(136, (int)Marshal.OffsetOf<FaceRec>(nameof(FaceRec.UnitsPerEm)));
        Assert.Equal(152, (int)Marshal.OffsetOf<FaceRec>(nameof(FaceRec.Glyph)));
        Assert.Equal(160, (int)Marshal.OffsetOf<FaceRec>(nameof(FaceRec.Size)));
        Assert.Equal(48, (int)Marshal.OffsetOf<SizeRec>(nameof(SizeRec.Metrics)) + (int)Marshal.OffsetOf<SizeMetrics>(nameof(SizeMetrics.Ascender)));
        Assert.Equal(48, (int)Marshal.OffsetOf<GlyphSlotRec>(nameof(GlyphSlotRec.Metrics)));
        Assert.Equal(128, (int)Marshal.OffsetOf<GlyphSlotRec>(nameof(GlyphSlotRec.AdvanceX)));
        Assert.Equal(152, (int)Marshal.OffsetOf<GlyphSlotRec>(nameof(GlyphSlotRec.Bitmap)));
        Assert.Equal(192, (int)Marshal.OffsetOf<GlyphSlotRec>(nameof(GlyphSlotRec.BitmapLeft)));
        Assert.Equal(196, (int)Marshal.OffsetOf<GlyphSlotRec>(nameof(GlyphSlotRec.BitmapTop)));
        Assert.Equal(16, (int)Marshal.OffsetOf<Bitmap>(nameof(Bitmap.Buffer)));
        Assert.Equal(26, (int)Marshal.OffsetOf<Bitmap>(nameof(Bitmap.PixelMode)));
        Assert.Equal(40, Marshal.SizeOf<Bitmap>());
    }

    [Fact]
    public void A_file_that_is_not_a_font_throws_FreeTypeException_with_the_error_name()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "this is not a font, just some text the kiosk logged\n");
            using var library = new FreeTypeLibrary();
            var error = Assert.Throws<FreeTypeException>(() => library.OpenFace(path));
            Assert.Equal(0x02, error.Error);
            Assert.Equal("Unknown_File_Format", error.ErrorName);
            Assert.Equal("FT_New_Face", error.Call);
            Assert.Contains("FT_Err_Unknown_File_Format", error.Message);
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_file_throws_Cannot_Open_Resource()
    {
        using var library = new FreeTypeLibrary();
        var error = Assert.Throws<FreeTypeException>(() => library.OpenFace("/nonexistent/edge-test-font.ttf"));
        Assert.Equal("Cannot_Open_Resource", error.ErrorName);
    }

    [Fact]
    public void A_font_collection_face_reports_its_family_and_renders_a_glyph()
    {
        using var library = new FreeTypeLibrary();
        using var face = library.OpenFace(FontLocator.Find("ukai.ttc", "fonts-arphic-ukai"));
        Assert.True(face.FaceCount >= 1);
        Assert.StartsWith("AR PL UKai", face.FamilyName);
        face.SetPixelSize(48);
        Assert.True(face.Ascender > 0 && face.Descender < 0);
        var glyph = face.Render(face.GlyphIndex('福'));
        Assert.True(glyph.Width > 20 && glyph.Height > 20);
        Assert.Contains(glyph.Coverage, value => value == 255);
        Assert.Equal(48 * 64, glyph.Advance64);
    }
}
