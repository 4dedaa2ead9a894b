using System.Text;
using Edge.Models.Imaging;
using Edge.Models.Interop.FreeType;
using Edge.Models.Text;

namespace Edge.Models.Tests.Text;

public sealed class TextRendererTests : IDisposable
{
    private readonly TextRenderer _text = new();

    public void Dispose() => _text.Dispose();

    [Theory]
    [InlineData("福", FontStyle.Sans)]
    [InlineData("福", FontStyle.Kai)]
    [InlineData("Happy 2026", FontStyle.Sans)]
    public void A_glyph_renders_non_empty_ink_inside_its_measured_box(string text, FontStyle style)
    {
        var (width, height) = _text.Measure(text, 40, style);
        using var image = White(width + 20, height + 20);
        _text.Draw(image, text, 10, 10, 40, style, 0, 0, 0);

        var ink = InkMask(image);
        Assert.True(ink.Count(dark => dark) > 40 * text.Length, "too little ink");
        var (minX, minY, maxX, maxY) = Bounds(ink, image.Width);
        Assert.True(minX >= 10 - 2 && maxX < 10 + width + 2, $"ink x {minX}..{maxX} outside box 10..{10 + width}");
        Assert.True(minY >= 10 && maxY < 10 + height, $"ink y {minY}..{maxY} outside box 10..{10 + height}");
    }

    [Fact]
    public void A_character_Kai_lacks_falls_back_to_another_font_instead_of_a_notdef_box()
    {
        const string heart = "♥";   // U+2665: in WenQuanYi Micro Hei, not in AR PL UKai
        using (var library = new FreeTypeLibrary())
        using (var kai = library.OpenFace(FontLocator.Find("ukai.ttc", "fonts-arphic-ukai")))
            Assert.Equal(0u, kai.GlyphIndex(heart[0]));
        Assert.Equal("WenQuanYi Micro Hei", _text.FamilyFor(new Rune('♥'), FontStyle.Kai));
        Assert.Null(_text.FamilyFor(new Rune(0x20000), FontStyle.Kai));   // CJK Extension B: no installed font has it

        var drawnHeart = DrawAlone(heart, FontStyle.Kai);
        var notdef = DrawAlone(char.ConvertFromUtf32(0x20000), FontStyle.Kai);
        Assert.True(drawnHeart.Count(dark => dark) > 100);
        Assert.True(notdef.Count(dark => dark) > 20, "the notdef box should still be drawn for a character no font has");
        int same = drawnHeart.Zip(notdef).Count(p => p.First && p.Second), either = drawnHeart.Zip(notdef).Count(p => p.First || p.Second);
        Assert.True(same < either / 2, $"the fallback glyph looks like the notdef box ({same} of {either} ink pixels shared)");
    }

    [Fact]
    public void Measure_of_a_vertical_string_is_taller_than_wide()
    {
        var (width, height) = _text.Measure("春回大地千山秀", 40, FontStyle.Kai, vertical: true);
        Assert.Equal(40, width);
        Assert.Equal((int)Math.Ceiling(7 * 40 * 1.05), height);
        var (horizontalWidth, horizontalHeight) = _text.Measure("春回大地千山秀", 40, FontStyle.Kai);
        Assert.True(horizontalWidth > horizontalHeight);
    }

    [Fact]
    public void Vertical_text_runs_down_one_column()
    {
        var (width, height) = _text.Measure("日照神州", 32, FontStyle.Sans, vertical: true);
        using var image = White(width + 40, height + 40);
        _text.Draw(image, "日照神州", 20, 20, 32, FontStyle.Sans, 0, 0, 0, vertical: true);
        var (minX, minY, maxX, maxY) = Bounds(InkMask(image), image.Width);
        Assert.True(maxY - minY > 3 * (maxX - minX), "a column should be much taller than wide");
        Assert.InRange((minX + maxX) / 2.0, 20 + width / 2.0 - 3, 20 + width / 2.0 + 3);
    }

    [Fact]
    public void Draw_respects_stride_and_leaves_row_padding_untouched()
    {
        const int width = 220, height = 70, stride = width * 3 + 37;
        using var padded = new ImageBuffer(width, height, PixelFormat.Rgb24, stride);
        padded.Data.Fill(0xAB);
        for (int y = 0; y < height; y++) padded.Row(y).Fill(255);
        using var packed = White(width, height);

        _text.Draw(padded, "新年 Happy", 5, 5, 40, FontStyle.Sans, 200, 20, 30);
        _text.Draw(packed, "新年 Happy", 5, 5, 40, FontStyle.Sans, 200, 20, 30);

        for (int y = 0; y < height; y++)
        {
            Assert.True(padded.Row(y).SequenceEqual(packed.Row(y)), $"row {y} differs from the packed image");
            Assert.All(padded.Data.Slice(y * stride + width * 3, stride - width * 3).ToArray(), b => Assert.Equal(0xAB, b));
        }
        Assert.Contains(InkMask(packed), dark => dark);
    }

    [Fact]
    public void Text_that_runs_off_the_image_is_clipped()
    {
        using var image = White(60, 30);
        _text.Draw(image, "恭喜发财 Happy New Year", -25, -10, 48, FontStyle.Kai, 0, 0, 0);
        _text.Draw(image, "福", 50, 20, 48, FontStyle.Sans, 0, 0, 0, vertical: true);
        Assert.Contains(InkMask(image), dark => dark);
    }

    [Fact]
    public void Gray_and_bgr_targets_get_the_same_coverage()
    {
        using var rgb = White(120, 60);
        using var bgr = new ImageBuffer(120, 60, PixelFormat.Bgr24);
        using var gray = new ImageBuffer(120, 60, PixelFormat.Gray8);
        bgr.Data.Fill(255);
        gray.Data.Fill(255);
        _text.Draw(rgb, "吉祥", 4, 4, 44, FontStyle.Sans, 10, 20, 200);
        _text.Draw(bgr, "吉祥", 4, 4, 44, FontStyle.Sans, 10, 20, 200);
        _text.Draw(gray, "吉祥", 4, 4, 44, FontStyle.Sans, 10, 10, 10);   // luma 10, the same as rgb's red channel
        for (int y = 0; y < 60; y++)
            for (int x = 0; x < 120; x++)
            {
                Assert.Equal(rgb.Row(y)[x * 3], bgr.Row(y)[x * 3 + 2]);
                Assert.Equal(rgb.Row(y)[x * 3 + 2], bgr.Row(y)[x * 3]);
                Assert.Equal(rgb.Row(y)[x * 3], gray.Row(y)[x]);
            }
    }

    private bool[] DrawAlone(string text, FontStyle style)
    {
        using var image = White(80, 80);
        _text.Draw(image, text, 10, 10, 56, style, 0, 0, 0);
        return InkMask(image);
    }

    private static ImageBuffer White(int width, int height)
    {
        var image = new ImageBuffer(width, height, PixelFormat.Rgb24);
        image.Data.Fill(255);
        return image;
    }

    private static bool[] InkMask(ImageBuffer image)
    {
        var mask = new bool[image.Width * image.Height];
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < image.Width; x++) mask[y * image.Width + x] = row[x * 3] + row[x * 3 + 1] + row[x * 3 + 2] < 3 * 160;
        }
        return mask;
    }

    private static (int MinX, int MinY, int MaxX, int MaxY) Bounds(bool[] mask, int width)
    {
        int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
        for (int i = 0; i < mask.Length; i++)
        {
            if (!mask[i]) continue;
            int x = i % width, y = i / width;
            (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
        }
        return (minX, minY, maxX, maxY);
    }
}
