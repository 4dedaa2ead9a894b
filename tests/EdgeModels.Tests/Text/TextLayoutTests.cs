using System.Text;
using Edge.Models.Imaging;
using Edge.Models.Text;

namespace Edge.Models.Tests.Text;

public sealed class TextLayoutTests : IDisposable
{
    private const string NoStart = "，。、！？；：」』）》";
    private const string NoEnd = "「『（《";
    private readonly TextRenderer _fonts = new();

    public void Dispose() => _fonts.Dispose();

    private TextBlock Fixed(string text, int width, int height, int size = 30, FontStyle style = FontStyle.Sans, bool vertical = false,
        TextAlignment alignment = TextAlignment.Start) =>
        TextLayout.Layout(_fonts, text, width, height, new TextLayoutOptions
        {
            Style = style, Vertical = vertical, MaxPixelSize = size, AutoFit = false, Alignment = alignment,
        });

    private static string[] Lines(TextBlock block) => block.Lines.Select(l => l.Text).ToArray();

    [Fact]
    public void Chinese_breaks_between_any_two_ideographs()
    {
        var block = Fixed("恭喜发财万事如意", 3 * 30 + 5, 400);
        Assert.Equal(["恭喜发", "财万事", "如意"], Lines(block));
        Assert.True(block.Fits);
        Assert.False(block.BrokeWords);
    }

    [Fact]
    public void A_comma_that_would_start_a_line_pulls_the_previous_ideograph_down_with_it()
    {
        var block = Fixed("春节快乐，万事如意。", 4 * 30 + 5, 400);
        Assert.Equal("春节快", block.Lines[0].Text);
        Assert.Equal("乐，万事", block.Lines[1].Text);
        Assert.Equal("如意。", block.Lines[2].Text);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(9)]
    public void No_line_starts_with_closing_punctuation_or_ends_with_an_opening_bracket(int charsPerLine)
    {
        const string text = "他说：「祝你新年快乐！」我们《一起》过年，好吗？（当然）万事如意、心想事成。";
        var block = Fixed(text, charsPerLine * 30 + 3, 2000);
        Assert.Equal(text, string.Concat(Lines(block)));
        foreach (var line in Lines(block))
        {
            Assert.False(NoStart.Contains(line[0]), $"line '{line}' starts with closing punctuation ({charsPerLine} a line)");
            Assert.False(NoEnd.Contains(line[^1]), $"line '{line}' ends with an opening bracket ({charsPerLine} a line)");
        }
    }

    [Fact]
    public void Latin_wraps_at_spaces_without_splitting_words()
    {
        const string text = "Wishing you a happy and healthy new year";
        var block = Fixed(text, 200, 600, size: 24);
        Assert.True(block.Lines.Count >= 3, string.Join(" | ", Lines(block)));
        Assert.Equal(text, string.Join(' ', Lines(block)));
        Assert.All(block.Lines, l => Assert.True(l.Width <= 200, $"'{l.Text}' is {l.Width} px wide"));
        Assert.All(Lines(block), l => Assert.Equal(l, l.Trim()));
        Assert.False(block.BrokeWords);
    }

    [Fact]
    public void A_Latin_word_longer_than_the_box_is_split_between_characters()
    {
        const string text = "Supercalifragilisticexpialidocious";
        var block = Fixed(text, 150, 600, size: 24);
        Assert.True(block.Lines.Count >= 3);
        Assert.Equal(text, string.Concat(Lines(block)));
        Assert.All(block.Lines, l => Assert.InRange(l.Width, 1, 150));
        Assert.True(block.BrokeWords);
    }

    [Fact]
    public void Mixed_Chinese_and_English_breaks_at_the_script_boundary_or_at_spaces()
    {
        var block = Fixed("新年快乐Happy New Year", 6 * 24, 600, size: 24);
        Assert.Equal("新年快乐HappyNewYear", string.Concat(Lines(block)).Replace(" ", ""));
        Assert.Equal("新年快乐", block.Lines[0].Text);   // Happy does not fit after 快乐, and the script boundary is a break
        Assert.False(block.BrokeWords);
    }

    [Fact]
    public void A_newline_always_starts_a_new_line()
    {
        var block = Fixed("福\n寿", 400, 400);
        Assert.Equal(["福", "寿"], Lines(block));
        Assert.True(block.Lines[1].Y > block.Lines[0].Y);
    }

    [Fact]
    public void Alignment_places_each_line_left_centre_or_right_in_the_box()
    {
        var left = Fixed("吉祥", 300, 100, alignment: TextAlignment.Start).Lines[0];
        var centre = Fixed("吉祥", 300, 100, alignment: TextAlignment.Center).Lines[0];
        var right = Fixed("吉祥", 300, 100, alignment: TextAlignment.End).Lines[0];
        Assert.Equal(0, left.X);
        Assert.Equal((300 - centre.Width) / 2, centre.X);
        Assert.Equal(300 - right.Width, right.X);
    }

    [Fact]
    public void Vertical_columns_run_top_to_bottom_and_are_ordered_right_to_left()
    {
        int cell = (int)Math.Round(30 * 1.05);
        var block = Fixed("一二三四五六", 200, 3 * cell + 2, vertical: true);
        Assert.Equal(["一二三", "四五六"], Lines(block));
        Assert.True(block.Lines[0].X > block.Lines[1].X, "the first column is the rightmost");
        Assert.Equal(200 - 30, block.Lines[0].X);
        var glyphs = block.Glyphs.Span;
        for (int i = 1; i < 3; i++)
        {
            Assert.True(glyphs[i].Y > glyphs[i - 1].Y, "characters run down the column");
            Assert.Equal(glyphs[0].X, glyphs[i].X);
        }
    }

    [Fact]
    public void Vertical_punctuation_is_centred_and_brackets_take_their_vertical_forms()
    {
        var block = Fixed("「你好，世界」", 60, 1000, vertical: true);
        var glyphs = block.Glyphs.ToArray();
        Assert.Equal(GlyphAnchor.Centred, glyphs.Single(g => g.Rune.Value == '，').Anchor);
        Assert.Equal(GlyphAnchor.Column, glyphs.Single(g => g.Rune.Value == '你').Anchor);
        Assert.Equal(0xFE41, glyphs[0].Rune.Value);   // ﹁
        Assert.Equal(0xFE42, glyphs[^1].Rune.Value);  // ﹂
        Assert.Equal(0, block.MissingGlyphs);
    }

    [Fact]
    public void No_column_starts_with_a_full_stop()
    {
        int cell = (int)Math.Round(30 * 1.05);
        var block = Fixed("五谷丰登。六畜兴旺。", 300, 4 * cell + 2, vertical: true);
        Assert.All(Lines(block), l => Assert.False(NoStart.Contains(l[0]), $"column '{l}' starts with punctuation"));
        Assert.Equal("五谷丰登。六畜兴旺。", string.Concat(Lines(block)));
    }

    [Theory]
    [InlineData(FontStyle.Sans)]
    [InlineData(FontStyle.Kai)]
    public void Every_character_of_mixed_Chinese_English_and_digits_has_a_real_glyph(FontStyle style)
    {
        var block = Fixed("中秋快乐 Happy Mid-Autumn 2025年10月6日 ♥ №1 ½", 2000, 200, style: style);
        Assert.Equal(0, block.MissingGlyphs);
        foreach (var rune in "中秋快乐Happy2025♥№½".EnumerateRunes())
            Assert.NotNull(_fonts.FamilyFor(rune, style));
    }

    [Fact]
    public void A_character_no_font_has_is_counted_as_missing()
    {
        var block = Fixed("福" + char.ConvertFromUtf32(0x20000), 400, 100, style: FontStyle.Kai);
        Assert.Equal(1, block.MissingGlyphs);
    }

    [Fact]
    public void Auto_fit_picks_the_largest_size_at_which_the_text_fits()
    {
        const string text = "祝您阖家幸福，万事如意！Happy Spring Festival";
        var options = new TextLayoutOptions { MaxPixelSize = 80, MinPixelSize = 10 };
        var block = TextLayout.Layout(_fonts, text, 300, 120, options);
        Assert.True(block.Fits);
        Assert.False(block.BrokeWords);
        Assert.InRange(block.PixelSize, 11, 79);
        var (x, y, w, h) = block.Bounds;
        Assert.True(x >= 0 && y >= 0 && x + w <= 300 && y + h <= 120, $"bounds {block.Bounds} outside the box");

        var larger = TextLayout.Layout(_fonts, text, 300, 120, options with { AutoFit = false, MaxPixelSize = block.PixelSize + 1 });
        Assert.False(larger.Fits && !larger.BrokeWords, $"size {block.PixelSize + 1} fits too");
    }

    [Fact]
    public void Auto_fit_never_exceeds_the_maximum_size()
    {
        var block = TextLayout.Layout(_fonts, "福", 500, 500, new TextLayoutOptions { MaxPixelSize = 40 });
        Assert.Equal(40, block.PixelSize);
    }

    [Fact]
    public void Auto_fit_shrinks_a_long_name_rather_than_splitting_it()
    {
        var block = TextLayout.Layout(_fonts, "Maximilian Oberhollenzer", 220, 200, new TextLayoutOptions { MaxPixelSize = 60, MinPixelSize = 12 });
        Assert.False(block.BrokeWords);
        Assert.Contains("Oberhollenzer", Lines(block));
    }

    [Fact]
    public void A_laid_out_block_draws_its_ink_inside_the_box()
    {
        using var image = new ImageBuffer(320, 260, PixelFormat.Gray8);
        image.Data.Fill(255);
        var block = TextLayout.Layout(_fonts, "花好月圆，人月两团圆。", 200, 200,
            new TextLayoutOptions { Style = FontStyle.Kai, MaxPixelSize = 48, Alignment = TextAlignment.Center, BlockAlignment = TextAlignment.Center });
        _fonts.Draw(image, block, 60, 30, 0, 0, 0);

        int ink = 0, outside = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                if (image.Row(y)[x] >= 128) continue;
                ink++;
                if (x < 60 - 2 || x >= 260 + 2 || y < 30 || y >= 230) outside++;
            }
        Assert.True(ink > 500, $"only {ink} ink pixels");
        Assert.Equal(0, outside);
    }

    [Fact]
    public void A_drawn_vertical_block_puts_the_first_column_on_the_right()
    {
        using var image = new ImageBuffer(200, 200, PixelFormat.Gray8);
        image.Data.Fill(255);
        int cell = (int)Math.Round(40 * 1.05);
        var block = Fixed("福禄寿喜", 200, 2 * cell + 2, size: 40, style: FontStyle.Kai, vertical: true);
        _fonts.Draw(image, block, 0, 0, 0, 0, 0);
        int Ink(int x0, int x1) => Enumerable.Range(0, image.Height).Sum(y => Enumerable.Range(x0, x1 - x0).Count(x => image.Row(y)[x] < 128));
        Assert.True(Ink(160, 200) > 200 && Ink(100, 160) > 200, "two columns at the right edge");
        Assert.Equal(0, Ink(0, 90));
    }
}
