using System.Text;

namespace Edge.Models.Text;

/// <summary>Where lines (or columns) sit: along a line, and of the whole block across lines.</summary>
public enum TextAlignment
{
    /// <summary>Horizontal: left (along a line), top (the block). Vertical: top of a column, right edge (the block).</summary>
    Start,
    Center,
    /// <summary>Horizontal: right (along a line), bottom (the block). Vertical: bottom of a column, left edge (the block).</summary>
    End,
}

/// <summary>How <see cref="PlacedGlyph.X"/>/<see cref="PlacedGlyph.Y"/> anchor a glyph.</summary>
public enum GlyphAnchor : byte
{
    /// <summary>(X, Y) is the pen position on the baseline (horizontal text).</summary>
    Baseline,
    /// <summary>(X, Y) is the top-left of a column cell; the glyph is centred across the column on the cell's baseline.</summary>
    Column,
    /// <summary>(X, Y) is the top-left of a column cell; the glyph's ink is centred in the cell (vertical punctuation).</summary>
    Centred,
}

/// <summary>One glyph of a laid-out block, in pixels relative to the layout box.</summary>
public readonly record struct PlacedGlyph(Rune Rune, int X, int Y, GlyphAnchor Anchor);

/// <summary>
/// One line (horizontal) or column (vertical): its glyphs are <c>Glyphs[FirstGlyph .. FirstGlyph + GlyphCount]</c>,
/// its box is (X, Y, Width, Height) relative to the layout box.
/// </summary>
public sealed record LaidOutLine(string Text, int FirstGlyph, int GlyphCount, int X, int Y, int Width, int Height);

/// <summary>What to lay out and how.</summary>
public sealed record TextLayoutOptions
{
    public FontStyle Style { get; init; } = FontStyle.Sans;
    /// <summary>Top-to-bottom columns ordered right to left, instead of left-to-right lines.</summary>
    public bool Vertical { get; init; }
    /// <summary>The largest pixel size tried (the size used when <see cref="AutoFit"/> is off).</summary>
    public int MaxPixelSize { get; init; } = 32;
    /// <summary>The smallest pixel size auto-fit goes down to; below it the text is laid out anyway and <see cref="TextBlock.Fits"/> is false.</summary>
    public int MinPixelSize { get; init; } = 12;
    /// <summary>Pick the largest size ≤ <see cref="MaxPixelSize"/> at which the text fits the box (preferring sizes that split no word).</summary>
    public bool AutoFit { get; init; } = true;
    /// <summary>Along a line (left/centre/right) or a column (top/middle/bottom).</summary>
    public TextAlignment Alignment { get; init; } = TextAlignment.Start;
    /// <summary>The block across lines: top/middle/bottom for lines, right/centre/left for columns.</summary>
    public TextAlignment BlockAlignment { get; init; } = TextAlignment.Start;
    /// <summary>Line pitch as a multiple of the line height (horizontal) or column pitch as a multiple of the pixel size (vertical).</summary>
    public double LineSpacing { get; init; } = 1.2;
}

/// <summary>The result of <see cref="TextLayout.Layout"/>: glyphs ready for <see cref="TextRenderer.Draw(Edge.Models.Imaging.ImageBuffer, TextBlock, int, int, byte, byte, byte)"/>.</summary>
public sealed class TextBlock
{
    internal TextBlock(FontStyle style, bool vertical, int pixelSize, int cellHeight, int boxWidth, int boxHeight,
        PlacedGlyph[] glyphs, IReadOnlyList<LaidOutLine> lines, bool fits, bool brokeWords, int missingGlyphs)
    {
        Style = style;
        Vertical = vertical;
        PixelSize = pixelSize;
        CellHeight = cellHeight;
        BoxWidth = boxWidth;
        BoxHeight = boxHeight;
        Glyphs = glyphs;
        Lines = lines;
        Fits = fits;
        BrokeWords = brokeWords;
        MissingGlyphs = missingGlyphs;
        if (lines.Count == 0) return;
        int x0 = lines.Min(l => l.X), y0 = lines.Min(l => l.Y);
        Bounds = (x0, y0, lines.Max(l => l.X + l.Width) - x0, lines.Max(l => l.Y + l.Height) - y0);
    }

    public FontStyle Style { get; }
    public bool Vertical { get; }
    public int PixelSize { get; }
    /// <summary>Height of a column cell (vertical layout); 0 for horizontal text.</summary>
    public int CellHeight { get; }
    public int BoxWidth { get; }
    public int BoxHeight { get; }
    public ReadOnlyMemory<PlacedGlyph> Glyphs { get; }
    /// <summary>Lines top to bottom, or columns in reading order (right to left).</summary>
    public IReadOnlyList<LaidOutLine> Lines { get; }
    /// <summary>The union of the line boxes, relative to the layout box.</summary>
    public (int X, int Y, int Width, int Height) Bounds { get; }
    /// <summary>Every line lies inside the box.</summary>
    public bool Fits { get; }
    /// <summary>A word without a break opportunity was split between characters to fit.</summary>
    public bool BrokeWords { get; }
    /// <summary>Characters no font in the fallback chain has (they draw as the notdef box).</summary>
    public int MissingGlyphs { get; }
}

/// <summary>
/// Lays text out in a box: line breaking (Latin at spaces, CJK between ideographs, kinsoku rules,
/// overlong words split by characters), vertical columns, alignment and auto-fit. Glyph metrics come
/// from the <see cref="TextRenderer"/> that will draw the block, through its per-glyph fallback chain
/// (style font → WenQuanYi Micro Hei → DejaVu Sans).
/// </summary>
public static class TextLayout
{
    // 行頭禁則: characters that must not begin a line or column.
    private const string NoStart = "，。、．,.!?！？；;：:」』）)》〉】〕］]｝}〗〙〞”’…‥·・ー々〻ゝゞヽヾ～%％‰℃°"
        + "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ︐︑︒︓︔︕︖︘︶︸︺︼︾﹀﹂﹄";
    // 行末禁則: characters that must not end a line or column.
    private const string NoEnd = "「『（(《〈【〔［[｛{〖〘〝“‘$￥£€#＃︵︷︹︻︽︿﹁﹃";

    /// <summary>
    /// Lays <paramref name="text"/> out in a <paramref name="boxWidth"/> × <paramref name="boxHeight"/> box.
    /// A newline forces a break; other control characters are dropped.
    /// </summary>
    public static TextBlock Layout(TextRenderer fonts, string text, int boxWidth, int boxHeight, TextLayoutOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fonts);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(boxWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(boxHeight);
        options ??= new TextLayoutOptions();
        if (options.MinPixelSize < 1 || options.MaxPixelSize < options.MinPixelSize)
            throw new ArgumentOutOfRangeException(nameof(options), $"pixel sizes must satisfy 1 <= MinPixelSize <= MaxPixelSize, given {options.MinPixelSize}..{options.MaxPixelSize}");
        if (options.LineSpacing <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.LineSpacing, "LineSpacing must be positive");

        var runes = Prepare(fonts, text, options);
        int missing = 0;
        foreach (var rune in runes)
            if (rune.Value != '\n' && !IsSpace(rune) && !fonts.HasGlyph(rune, options.Style)) missing++;

        if (!options.AutoFit) return LayoutAt(fonts, runes, boxWidth, boxHeight, options, options.MaxPixelSize, missing);

        // Largest size that fits without splitting a word; else the largest that fits at all; else the smallest.
        var best = LayoutAt(fonts, runes, boxWidth, boxHeight, options, options.MaxPixelSize, missing);
        if (best.Fits && !best.BrokeWords) return best;
        TextBlock? clean = null, fitting = best.Fits ? best : null;
        int lo = options.MinPixelSize, hi = options.MaxPixelSize - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            var block = LayoutAt(fonts, runes, boxWidth, boxHeight, options, mid, missing);
            if (block.Fits && !block.BrokeWords) { clean = block; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (clean is not null) return clean;

        lo = options.MinPixelSize; hi = options.MaxPixelSize - 1;
        while (fitting is null && lo <= hi)
        {
            int mid = (lo + hi) / 2;
            var block = LayoutAt(fonts, runes, boxWidth, boxHeight, options, mid, missing);
            if (block.Fits) { fitting = block; lo = mid + 1; }
            else hi = mid - 1;
        }
        // Binary search may land on a fitting size below a larger one that also fits; walk up while it still does.
        while (fitting is not null && fitting.PixelSize < options.MaxPixelSize)
        {
            var larger = LayoutAt(fonts, runes, boxWidth, boxHeight, options, fitting.PixelSize + 1, missing);
            if (!larger.Fits) break;
            fitting = larger;
        }
        return fitting ?? LayoutAt(fonts, runes, boxWidth, boxHeight, options, options.MinPixelSize, missing);
    }

    /// <summary>Whether a line may break between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static bool CanBreakBetween(Rune before, Rune after)
    {
        if (IsSpace(after)) return false;              // break after a run of spaces, not inside it
        if (IsNoStart(after) || IsNoEnd(before)) return false;
        if (IsSpace(before)) return true;
        return IsCjk(before) || IsCjk(after);
    }

    private static Rune[] Prepare(TextRenderer fonts, string text, TextLayoutOptions options)
    {
        var list = new List<Rune>(text.Length);
        foreach (var rune in text.Replace("\r\n", "\n").EnumerateRunes())
        {
            if (rune.Value == '\n') { list.Add(rune); continue; }
            if (Rune.IsControl(rune)) continue;
            if (options.Vertical && VerticalForm(rune.Value) is int form && fonts.HasGlyph(new Rune(form), options.Style))
            {
                list.Add(new Rune(form));   // brackets and dashes turn a quarter in a column: use the font's vertical form
                continue;
            }
            list.Add(rune);
        }
        return list.ToArray();
    }

    private static TextBlock LayoutAt(TextRenderer fonts, Rune[] runes, int boxWidth, int boxHeight, TextLayoutOptions options, int size, int missing)
    {
        bool vertical = options.Vertical;
        var style = options.Style;
        int n = runes.Length;
        var advance64 = new int[n];
        int cell64 = TextRenderer.VerticalCellHeight64(size);
        for (int i = 0; i < n; i++)
            advance64[i] = runes[i].Value == '\n' ? 0 : vertical ? cell64 : fonts.Advance64(runes[i], size, style);

        int limit = vertical ? boxHeight : boxWidth;
        long limit64 = (long)limit << 6;
        var ranges = new List<(int Start, int End)>();
        bool brokeWords = false;
        int pos = 0;
        while (pos < n || ranges.Count == 0)
        {
            int start = pos, end = n, next = n, lastBreak = -1;
            long pen = 0;
            for (int j = start; j < n; j++)
            {
                if (runes[j].Value == '\n') { end = j; next = j + 1; break; }
                if (j > start && CanBreakBetween(runes[j - 1], runes[j])) lastBreak = j;
                if (pen + advance64[j] > limit64 && j > start && !IsSpace(runes[j]))
                {
                    if (lastBreak > start) end = next = lastBreak;
                    else
                    {
                        end = j;
                        // Even an emergency break keeps closing punctuation off the next line's start when it can.
                        while (end - 1 > start && (IsNoStart(runes[end]) || IsNoEnd(runes[end - 1]))) end--;
                        if (IsNoStart(runes[end]))
                        {
                            // No legal break at all: let the closing punctuation hang past the box (the block then does not fit).
                            end = j;
                            while (end < n && IsNoStart(runes[end])) end++;
                        }
                        if (end < n && IsWordChar(runes[end - 1]) && IsWordChar(runes[end])) brokeWords = true;
                        next = end;
                    }
                    break;
                }
                pen += advance64[j];
            }
            bool hard = next > end;   // the newline itself was consumed
            int trimmed = end;
            while (trimmed > start && IsSpace(runes[trimmed - 1])) trimmed--;
            ranges.Add((start, trimmed));
            pos = next;
            if (!hard)
                while (pos < n && IsSpace(runes[pos])) pos++;
            if (pos >= n && hard) { ranges.Add((n, n)); break; }   // text ending in a newline has an empty last line
            if (pos >= n) break;
        }

        var (ascender, descender) = fonts.LineMetrics(size, style);
        int lineHeight = vertical ? size : ascender - descender;
        int pitch = Math.Max(1, (int)Math.Round(lineHeight * options.LineSpacing));
        int across = ranges.Count == 0 ? 0 : (ranges.Count - 1) * pitch + lineHeight;
        int acrossBox = vertical ? boxWidth : boxHeight;
        int acrossOffset = Offset(options.BlockAlignment, acrossBox, across);
        bool fits = across <= acrossBox;

        var glyphs = new List<PlacedGlyph>(n);
        var lines = new List<LaidOutLine>(ranges.Count);
        for (int k = 0; k < ranges.Count; k++)
        {
            var (start, end) = ranges[k];
            long length64 = 0;
            for (int j = start; j < end; j++) length64 += advance64[j];
            int length = (int)((length64 + 63) >> 6);
            if (length > limit) fits = false;
            int along = Offset(options.Alignment, limit, length);
            int first = glyphs.Count;
            long pen = 0;
            var sb = new StringBuilder(end - start);
            for (int j = start; j < end; j++)
            {
                sb.Append(runes[j].ToString());
                int offset = (int)((pen + 32) >> 6);
                if (vertical)
                {
                    int x = boxWidth - acrossOffset - size - k * pitch;
                    glyphs.Add(new PlacedGlyph(runes[j], x, along + offset, IsCentredInColumn(runes[j]) ? GlyphAnchor.Centred : GlyphAnchor.Column));
                }
                else
                {
                    glyphs.Add(new PlacedGlyph(runes[j], along + offset, acrossOffset + k * pitch + ascender, GlyphAnchor.Baseline));
                }
                pen += advance64[j];
            }
            lines.Add(vertical
                ? new LaidOutLine(sb.ToString(), first, end - start, boxWidth - acrossOffset - size - k * pitch, along, size, length)
                : new LaidOutLine(sb.ToString(), first, end - start, along, acrossOffset + k * pitch, length, lineHeight));
        }
        return new TextBlock(style, vertical, size, vertical ? (cell64 + 32) >> 6 : 0, boxWidth, boxHeight,
            glyphs.ToArray(), lines, fits, brokeWords, missing);
    }

    private static int Offset(TextAlignment alignment, int box, int content) => alignment switch
    {
        TextAlignment.Start => 0,
        TextAlignment.Center => (box - content) / 2,
        TextAlignment.End => box - content,
        _ => throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "unknown alignment"),
    };

    private static bool IsSpace(Rune rune) => Rune.IsWhiteSpace(rune) && rune.Value != '\n';

    private static bool IsNoStart(Rune rune) => rune.IsBmp && NoStart.Contains((char)rune.Value);

    private static bool IsNoEnd(Rune rune) => rune.IsBmp && NoEnd.Contains((char)rune.Value);

    /// <summary>Scripts written without spaces, where a line may break between any two characters.</summary>
    internal static bool IsCjk(Rune rune) => rune.Value switch
    {
        >= 0x2E80 and <= 0x2FDF => true,     // CJK radicals, Kangxi radicals
        >= 0x3000 and <= 0x30FF => true,     // CJK symbols and punctuation, kana
        >= 0x3100 and <= 0x31FF => true,     // bopomofo, kanbun, katakana extensions
        >= 0x3400 and <= 0x4DBF => true,     // extension A
        >= 0x4E00 and <= 0x9FFF => true,     // unified ideographs
        >= 0xF900 and <= 0xFAFF => true,     // compatibility ideographs
        >= 0xFE10 and <= 0xFE1F => true,     // vertical forms
        >= 0xFE30 and <= 0xFE4F => true,     // CJK compatibility forms
        >= 0xFF00 and <= 0xFFEF => true,     // halfwidth and fullwidth forms
        >= 0x20000 and <= 0x3FFFF => true,   // supplementary ideographic planes
        _ => false,
    };

    /// <summary>Letters and digits of space-separated scripts: splitting between two of them splits a word.</summary>
    private static bool IsWordChar(Rune rune) => !IsCjk(rune) && Rune.IsLetterOrDigit(rune);

    /// <summary>Punctuation that a column centres in its cell instead of sitting on the baseline.</summary>
    private static bool IsCentredInColumn(Rune rune) =>
        !Rune.IsLetterOrDigit(rune) && (Rune.IsPunctuation(rune) || Rune.IsSymbol(rune) || rune.Value is >= 0x3000 and <= 0x303F or >= 0xFE10 and <= 0xFE4F);

    /// <summary>The Unicode vertical presentation form of a bracket or dash, or null when it needs none.</summary>
    private static int? VerticalForm(int codePoint) => codePoint switch
    {
        '（' or '(' => 0xFE35, '）' or ')' => 0xFE36,
        '｛' or '{' => 0xFE37, '｝' or '}' => 0xFE38,
        '〔' => 0xFE39, '〕' => 0xFE3A,
        '【' => 0xFE3B, '】' => 0xFE3C,
        '《' => 0xFE3D, '》' => 0xFE3E,
        '〈' => 0xFE3F, '〉' => 0xFE40,
        '「' => 0xFE41, '」' => 0xFE42,
        '『' => 0xFE43, '』' => 0xFE44,
        '—' => 0xFE31, '–' => 0xFE32,
        '…' => 0xFE19, '‥' => 0xFE30,
        _ => null,
    };
}
