using System.Text;
using Edge.Models.Imaging;
using Edge.Models.Interop.FreeType;

namespace Edge.Models.Text;

/// <summary>
/// Draws anti-aliased text with FreeType onto <see cref="ImageBuffer"/>s. Fonts load on first use;
/// a character a font lacks falls back along Kai → Sans → DejaVu, and only when no font has it is
/// the primary font's notdef box drawn. Thread-safe (calls are serialised); glyphs are cached.
/// </summary>
public sealed class TextRenderer : IDisposable
{
    private enum FontId { Sans, Kai, DejaVu }

    private sealed record FontFile(string FileName, string DebianPackage, string Family);

    private static readonly FontFile[] Files =
    [
        new("wqy-microhei.ttc", "fonts-wqy-microhei", "WenQuanYi Micro Hei"),
        new("ukai.ttc", "fonts-arphic-ukai", "AR PL UKai CN"),
        new("DejaVuSans.ttf", "fonts-dejavu-core", "DejaVu Sans"),
    ];

    private static FontId[] Chain(FontStyle style) => style switch
    {
        FontStyle.Sans => [FontId.Sans, FontId.DejaVu],
        FontStyle.Kai => [FontId.Kai, FontId.Sans, FontId.DejaVu],
        _ => throw new ArgumentOutOfRangeException(nameof(style), style, "unknown font style"),
    };

    private const double VerticalAdvance = 1.05;     // column cell height in em: a little air between characters
    private const double VerticalBaseline = 0.905;   // baseline inside the cell: ideographic em box (0.88 em ascent) plus half the air
    private const int GlyphCacheLimit = 8192;

    private readonly Lock _gate = new();
    private readonly FreeTypeFace?[] _faces = new FreeTypeFace?[Files.Length];
    private readonly bool[] _absent = new bool[Files.Length];
    private readonly Dictionary<(FontStyle, int), (FontId Font, uint Glyph)> _resolved = [];
    private readonly Dictionary<(FontId, uint, int), GlyphBitmap> _glyphs = [];
    private FreeTypeLibrary? _library;
    private bool _disposed;

    public TextRenderer() { }

    /// <summary>
    /// The box <see cref="Draw"/> fills. Horizontal: the sum of advances by ascender − descender of
    /// the style's font. Vertical: one em wide, 1.05 em per character tall.
    /// </summary>
    public (int Width, int Height) Measure(string text, int pixelSize, FontStyle style, bool vertical = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        CheckSize(pixelSize);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (vertical) return (pixelSize, (Runes(text).Count() * VerticalCell64(pixelSize) + 63) >> 6);

            var primary = Face(Chain(style)[0], required: true)!;
            primary.SetPixelSize(pixelSize);
            int height = primary.Ascender - primary.Descender;
            long pen = 0;
            foreach (var rune in Runes(text)) pen += Glyph(rune, pixelSize, style).Advance64;
            return ((int)((pen + 63) >> 6), height);
        }
    }

    /// <summary>
    /// Draws <paramref name="text"/> with the top-left of its <see cref="Measure"/> box at
    /// (<paramref name="x"/>, <paramref name="y"/>), alpha-blending glyph coverage in colour
    /// (<paramref name="r"/>, <paramref name="g"/>, <paramref name="b"/>). Clips to the image.
    /// Vertical text runs top to bottom, one character a cell, each centred in the column.
    /// Targets: Rgb24, Bgr24, Rgba32 (alpha composited "over") and Gray8 (the colour's luma).
    /// </summary>
    public void Draw(ImageBuffer target, string text, int x, int y, int pixelSize, FontStyle style, byte r, byte g, byte b, bool vertical = false)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(text);
        CheckSize(pixelSize);
        Span<byte> colour = stackalloc byte[3];
        int channels = InkBytes(target.Format, r, g, b, colour);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var primary = Face(Chain(style)[0], required: true)!;
            primary.SetPixelSize(pixelSize);
            long pen = 0;
            if (!vertical)
            {
                int baseline = y + primary.Ascender;
                foreach (var rune in Runes(text))
                {
                    var glyph = Glyph(rune, pixelSize, style);
                    Blend(target, glyph, x + (int)((pen + 32) >> 6) + glyph.Left, baseline - glyph.Top, colour[..channels]);
                    pen += glyph.Advance64;
                }
                return;
            }

            int cell64 = VerticalCell64(pixelSize), baselineInCell = (int)Math.Round(pixelSize * VerticalBaseline);
            foreach (var rune in Runes(text))
            {
                var glyph = Glyph(rune, pixelSize, style);
                int cellTop = y + (int)((pen + 32) >> 6);
                Blend(target, glyph, x + (pixelSize - glyph.Width) / 2, cellTop + baselineInCell - glyph.Top, colour[..channels]);
                pen += cell64;
            }
        }
    }

    /// <summary>
    /// Draws a laid-out block (see <see cref="TextLayout"/>) with its box's top-left at
    /// (<paramref name="x"/>, <paramref name="y"/>); glyph positions are relative to that box.
    /// Same targets and blending as the string overload.
    /// </summary>
    public void Draw(ImageBuffer target, TextBlock block, int x, int y, byte r, byte g, byte b)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(block);
        Span<byte> colour = stackalloc byte[3];
        int channels = InkBytes(target.Format, r, g, b, colour);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int size = block.PixelSize, baselineInCell = (int)Math.Round(size * VerticalBaseline);
            foreach (var placed in block.Glyphs.Span)
            {
                var glyph = Glyph(placed.Rune, size, block.Style);
                int left, top;
                switch (placed.Anchor)
                {
                    case GlyphAnchor.Baseline:
                        left = x + placed.X + glyph.Left;
                        top = y + placed.Y - glyph.Top;
                        break;
                    case GlyphAnchor.Column:
                        left = x + placed.X + (size - glyph.Width) / 2;
                        top = y + placed.Y + baselineInCell - glyph.Top;
                        break;
                    default:   // Centred: the ink box in the middle of the cell, as vertical punctuation sits
                        left = x + placed.X + (size - glyph.Width) / 2;
                        top = y + placed.Y + (block.CellHeight - glyph.Height) / 2;
                        break;
                }
                Blend(target, glyph, left, top, colour[..channels]);
            }
        }
    }

    /// <summary>The pen advance of <paramref name="rune"/> in 26.6 fixed point, from the font that draws it.</summary>
    internal int Advance64(Rune rune, int pixelSize, FontStyle style)
    {
        CheckSize(pixelSize);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Glyph(rune, pixelSize, style).Advance64;
        }
    }

    /// <summary>Ascender and descender (negative) of the style's primary font, in whole pixels.</summary>
    internal (int Ascender, int Descender) LineMetrics(int pixelSize, FontStyle style)
    {
        CheckSize(pixelSize);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var primary = Face(Chain(style)[0], required: true)!;
            primary.SetPixelSize(pixelSize);
            return (primary.Ascender, primary.Descender);
        }
    }

    /// <summary>Height of one character cell in a vertical column, in 26.6 fixed point (the same cell <see cref="Draw(ImageBuffer, string, int, int, int, FontStyle, byte, byte, byte, bool)"/> uses).</summary>
    internal static int VerticalCellHeight64(int pixelSize) => VerticalCell64(pixelSize);

    /// <summary>Whether some font in the style's chain has a real glyph (not notdef) for <paramref name="rune"/>.</summary>
    internal bool HasGlyph(Rune rune, FontStyle style)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Resolve(rune, style).Glyph != 0;
        }
    }

    /// <summary>The family that draws <paramref name="rune"/> in <paramref name="style"/>, or null when no font has it.</summary>
    internal string? FamilyFor(Rune rune, FontStyle style)
    {
        lock (_gate)
        {
            var (font, glyph) = Resolve(rune, style);
            return glyph == 0 ? null : _faces[(int)font]!.FamilyName;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var face in _faces) face?.Dispose();
            _library?.Dispose();
            _glyphs.Clear();
        }
    }

    private static void CheckSize(int pixelSize)
    {
        if (pixelSize is < 1 or > 2048)
            throw new ArgumentOutOfRangeException(nameof(pixelSize), pixelSize, "pixel size must be 1..2048");
    }

    private static IEnumerable<Rune> Runes(string text) => text.EnumerateRunes().Where(rune => !Rune.IsControl(rune));

    private static int VerticalCell64(int pixelSize) => (int)Math.Round(pixelSize * VerticalAdvance * 64);

    private static int InkBytes(PixelFormat format, byte r, byte g, byte b, Span<byte> colour)
    {
        switch (format)
        {
            case PixelFormat.Rgb24 or PixelFormat.Rgba32: colour[0] = r; colour[1] = g; colour[2] = b; return 3;
            case PixelFormat.Bgr24: colour[0] = b; colour[1] = g; colour[2] = r; return 3;
            case PixelFormat.Gray8: colour[0] = (byte)((r * 299 + g * 587 + b * 114 + 500) / 1000); return 1;
            default: throw new ArgumentException($"cannot draw text on {format} images", nameof(format));
        }
    }

    private static void Blend(ImageBuffer target, GlyphBitmap glyph, int left, int top, ReadOnlySpan<byte> colour)
    {
        int bpp = target.BytesPerPixel;
        bool alpha = target.Format == PixelFormat.Rgba32;
        int x0 = Math.Max(0, -left), x1 = Math.Min(glyph.Width, target.Width - left);
        int y0 = Math.Max(0, -top), y1 = Math.Min(glyph.Height, target.Height - top);
        for (int gy = y0; gy < y1; gy++)
        {
            var row = target.Row(top + gy);
            var coverage = glyph.Coverage.AsSpan(gy * glyph.Width, glyph.Width);
            for (int gx = x0; gx < x1; gx++)
            {
                int a = coverage[gx];
                if (a == 0) continue;
                int p = (left + gx) * bpp;
                for (int c = 0; c < colour.Length; c++)
                    row[p + c] = (byte)((row[p + c] * (255 - a) + colour[c] * a + 127) / 255);
                if (alpha) row[p + 3] = (byte)(a + (row[p + 3] * (255 - a) + 127) / 255);
            }
        }
    }

    private GlyphBitmap Glyph(Rune rune, int pixelSize, FontStyle style)
    {
        var (font, index) = Resolve(rune, style);
        if (_glyphs.TryGetValue((font, index, pixelSize), out var cached)) return cached;
        if (_glyphs.Count >= GlyphCacheLimit) _glyphs.Clear();
        var face = _faces[(int)font]!;
        face.SetPixelSize(pixelSize);
        return _glyphs[(font, index, pixelSize)] = face.Render(index);
    }

    private (FontId Font, uint Glyph) Resolve(Rune rune, FontStyle style)
    {
        if (_resolved.TryGetValue((style, rune.Value), out var found)) return found;
        var chain = Chain(style);
        found = (chain[0], 0);
        foreach (var font in chain)
        {
            var face = Face(font, required: font == chain[0]);
            uint index = face?.GlyphIndex(rune.Value) ?? 0;
            if (index == 0) continue;
            found = (font, index);
            break;
        }
        // Face(required) above guarantees chain[0] is open, so the notdef fallback has a face to draw with.
        return _resolved[(style, rune.Value)] = found;
    }

    /// <summary>Opens a font on first use; a missing fallback is skipped, a missing primary font throws.</summary>
    private FreeTypeFace? Face(FontId id, bool required)
    {
        int i = (int)id;
        if (_faces[i] is { } open) return open;
        if (_absent[i] && !required) return null;
        var file = Files[i];
        string path;
        try
        {
            path = FontLocator.Find(file.FileName, file.DebianPackage);
        }
        catch (FileNotFoundException) when (!required)
        {
            _absent[i] = true;
            return null;
        }
        _library ??= new FreeTypeLibrary();
        return _faces[i] = OpenFamily(_library, path, file.Family);
    }

    /// <summary>Collections (.ttc) hold several faces; pick the one whose family matches, else the first.</summary>
    private static FreeTypeFace OpenFamily(FreeTypeLibrary library, string path, string family)
    {
        var face = library.OpenFace(path, 0);
        for (int index = 1; index < face.FaceCount && face.FamilyName != family; index++)
        {
            var next = library.OpenFace(path, index);
            if (next.FamilyName != family) { next.Dispose(); continue; }
            face.Dispose();
            face = next;
        }
        return face;
    }
}
