using System.Text;
using Edge.Agent.Kiosk.Festivals;
using Edge.Models.Imaging;
using Edge.Models.Text;

namespace Edge.Agent.Kiosk.Cards;

/// <summary>What the guest's card said, as the blessing card uses it.</summary>
public enum GuestTextKind
{
    /// <summary>Nothing usable was read: the card carries a general blessing without a name.</summary>
    None,
    /// <summary>A short name (张伟, Alice Smith): printed as a greeting.</summary>
    Name,
    /// <summary>A longer wish: printed in quotation marks.</summary>
    Wish,
}

/// <summary>The guest's recognised text, cleaned of OCR debris and classified.</summary>
public sealed record GuestText(GuestTextKind Kind, string Text)
{
    public static GuestText None { get; } = new(GuestTextKind.None, "");

    private const int MaxWishRunes = 36;
    private const string KeptPunctuation = "·.-'’&，。！？、,!?：:";

    /// <summary>
    /// Cleans OCR output: lines are joined with a space, characters other than letters, digits and
    /// common punctuation are dropped, and text that is mostly debris (or has no letter) becomes
    /// <see cref="None"/>. Up to 4 Chinese characters, or up to 3 Latin words, is a name; longer is a
    /// wish, cut at 36 characters.
    /// </summary>
    public static GuestText From(string? recognised)
    {
        if (string.IsNullOrWhiteSpace(recognised)) return None;
        var sb = new StringBuilder(recognised.Length);
        int kept = 0, dropped = 0, letters = 0, cjk = 0;
        bool space = false;
        foreach (var rune in recognised.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune) || Rune.IsControl(rune)) { space = sb.Length > 0; continue; }
            bool letter = Rune.IsLetter(rune), ok = letter || Rune.IsDigit(rune) || (rune.IsBmp && KeptPunctuation.Contains((char)rune.Value));
            if (!ok) { dropped++; continue; }
            // OCR splits a name over lines or puts gaps between characters: keep spaces only between Latin words.
            if (space && !IsCjk(rune) && !IsCjk(sb[^1])) sb.Append(' ');
            space = false;
            sb.Append(rune.ToString());
            kept++;
            if (letter) letters++;
            if (letter && rune.Value >= 0x2E80) cjk++;
        }
        if (letters == 0 || dropped > kept || (cjk == 0 && letters < 2)) return None;

        string text = sb.ToString().Trim(' ', '·', '.', '-', '\'', ',', '，', '、', ':', '：');
        if (text.Length == 0) return None;
        bool sentence = text.IndexOfAny(['，', '。', '！', '？', ',', '!', '?']) >= 0;
        int runes = text.EnumerateRunes().Count();
        bool name = !sentence && (cjk > 0
            ? LooksLikeChineseName(text, cjk, runes)
            : text.Split(' ').Length <= 3 && text.Length <= 30);
        if (name) return new GuestText(GuestTextKind.Name, text);
        if (runes > MaxWishRunes) text = string.Concat(text.EnumerateRunes().Take(MaxWishRunes - 1).Select(r => r.ToString())) + "…";
        return new GuestText(GuestTextKind.Wish, text);
    }

    private static bool IsCjk(Rune rune) => rune.Value >= 0x2E80;

    // Chinese names are two or three characters; four only with a compound surname (欧阳, 司马, …).
    // A four-character text is far more often a wish (身体健康, 万事如意), so it is read as one.
    private static readonly string[] CompoundSurnames =
        ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐", "澹台", "端木", "西门", "南宫", "轩辕", "独孤"];

    private static bool LooksLikeChineseName(string text, int cjk, int runes)
    {
        if (runes > 6) return false;
        if (cjk <= 3) return true;
        return cjk == 4 && CompoundSurnames.Any(s => text.StartsWith(s, StringComparison.Ordinal));
    }

    private static bool IsCjk(char c) => c >= 0x2E80;

    /// <summary>The line printed on the card: 致 张伟 / Dear Alice Smith / 「wish」.</summary>
    public string CardLine => Kind switch
    {
        GuestTextKind.Name when Text.EnumerateRunes().Any(r => r.Value >= 0x2E80) => $"致 {Text}",
        GuestTextKind.Name => $"Dear {Text}",
        GuestTextKind.Wish => $"「{Text}」",
        _ => "",
    };
}

/// <summary>One card to print: the festival, what the guest's card said, the chosen blessing and the date.</summary>
public sealed record BlessingCard(Festival Festival, GuestText Guest, BlessingPhrase Blessing, DateOnly Date)
{
    /// <summary>A card from raw OCR text; <paramref name="blessing"/> defaults to the festival's first phrase.</summary>
    public static BlessingCard For(Festival festival, string? recognised, DateOnly date, BlessingPhrase? blessing = null)
    {
        ArgumentNullException.ThrowIfNull(festival);
        return new BlessingCard(festival, GuestText.From(recognised), blessing ?? festival.Blessings[0], date);
    }

    /// <summary>The date line: 2025年10月6日 乙巳年 八月十五 (the lunar part only inside the calendar's range).</summary>
    public string DateLine
    {
        get
        {
            string gregorian = $"{Date.Year}年{Date.Month}月{Date.Day}日";
            return LunarDate.From(Date) is { } lunar ? $"{gregorian}  {lunar.ToChinese()}" : gregorian;
        }
    }
}

/// <summary>
/// Draws blessing cards: a Gray8 image for the thermal printer (384 dots for 58 mm paper, 576 for
/// 80 mm), black on white with solid ornaments only, and an Rgb24 preview in the festival's colours
/// for the kiosk's display. Layout scales with the paper width; the smallest text is 22 px at 384
/// dots. Not thread-safe beyond what <see cref="TextRenderer"/> serialises.
/// </summary>
public sealed class BlessingCardRenderer : IDisposable
{
    public const int Dots58mm = 384;
    public const int Dots80mm = 576;

    private readonly TextRenderer _fonts;
    private readonly bool _ownsFonts;

    public BlessingCardRenderer() : this(new TextRenderer(), ownsFonts: true) { }

    public BlessingCardRenderer(TextRenderer fonts) : this(fonts, ownsFonts: false) { }

    private BlessingCardRenderer(TextRenderer fonts, bool ownsFonts)
    {
        ArgumentNullException.ThrowIfNull(fonts);
        _fonts = fonts;
        _ownsFonts = ownsFonts;
    }

    /// <summary>The card for the printer: Gray8, <paramref name="widthDots"/> wide, about 1.2× as tall (taller when the content needs it).</summary>
    public ImageBuffer RenderPrint(BlessingCard card, int widthDots = Dots58mm)
    {
        ArgumentNullException.ThrowIfNull(card);
        if (widthDots is not (Dots58mm or Dots80mm))
            throw new ArgumentOutOfRangeException(nameof(widthDots), widthDots, $"printer width must be {Dots58mm} (58 mm) or {Dots80mm} (80 mm) dots");
        var plan = Plan(card, widthDots);
        var image = new ImageBuffer(widthDots, plan.Height, PixelFormat.Gray8);
        plan.Paint(image, new Inks(new CardColour(255, 255, 255), new CardColour(0, 0, 0), new CardColour(0, 0, 0)));
        return image;
    }

    /// <summary>
    /// The card in the festival's colours, scaled (area-averaged) to fit a <paramref name="displayWidth"/> ×
    /// <paramref name="displayHeight"/> display and centred on the paper colour: Rgb24.
    /// </summary>
    public ImageBuffer RenderPreview(BlessingCard card, int displayWidth, int displayHeight, int cardWidth = Dots58mm)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentOutOfRangeException.ThrowIfLessThan(displayWidth, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(displayHeight, 16);
        if (cardWidth is not (Dots58mm or Dots80mm))
            throw new ArgumentOutOfRangeException(nameof(cardWidth), cardWidth, $"card width must be {Dots58mm} or {Dots80mm}");
        var palette = card.Festival.Design.Palette;
        var plan = Plan(card, cardWidth);
        using var full = new ImageBuffer(cardWidth, plan.Height, PixelFormat.Rgb24);
        plan.Paint(full, new Inks(palette.Paper, palette.Ink, palette.Accent));

        double scale = Math.Min((double)displayWidth / full.Width, (double)displayHeight / full.Height);
        int w = Math.Max(1, (int)Math.Round(full.Width * scale)), h = Math.Max(1, (int)Math.Round(full.Height * scale));
        var preview = new ImageBuffer(displayWidth, displayHeight, PixelFormat.Rgb24);
        Shapes.FillRect(preview, 0, 0, displayWidth, displayHeight, palette.Paper);
        Shapes.AreaResize(full, preview, (displayWidth - w) / 2, (displayHeight - h) / 2, w, h);
        return preview;
    }

    public void Dispose()
    {
        if (_ownsFonts) _fonts.Dispose();
    }

    private readonly record struct Inks(CardColour Paper, CardColour Ink, CardColour Accent);

    /// <summary>Positions decided once, painted onto either target.</summary>
    private sealed class CardPlan(int width, int height, List<Action<ImageBuffer, Inks>> ops)
    {
        public int Width { get; } = width;
        public int Height { get; } = height;
        public void Paint(ImageBuffer target, Inks inks)
        {
            Shapes.FillRect(target, 0, 0, target.Width, target.Height, inks.Paper);
            foreach (var op in ops) op(target, inks);
        }
    }

    private CardPlan Plan(BlessingCard card, int width)
    {
        double s = width / 384.0;
        int S(double v) => Math.Max(1, (int)Math.Round(v * s));
        var design = card.Festival.Design;
        var ops = new List<Action<ImageBuffer, Inks>>();
        int minText = S(22);

        int frameOuter = S(10), frameInset = S(24), pad = S(14);
        int x0 = frameInset + pad, contentWidth = width - 2 * x0;

        // Header: banner (couplet designs), title flanked by the motif, English name, separator.
        var header = new List<(int Height, Action<int, List<Action<ImageBuffer, Inks>>> Place)>();
        if (design.Couplet is { } couplet)
        {
            var banner = Text(couplet.Banner, contentWidth - S(80), S(44), FontStyle.Kai, S(34), S(26));
            int boxW = banner.Bounds.Width + S(36), boxH = banner.Bounds.Height + S(16);
            header.Add((boxH, (at, list) =>
            {
                int bx = (width - boxW) / 2;
                list.Add((img, ink) => Shapes.StrokeRect(img, bx, at, boxW, boxH, S(3), ink.Accent));
                list.Add((img, ink) => Shapes.FillDiamond(img, bx - S(12), at + boxH / 2, S(8), ink.Accent));
                list.Add((img, ink) => Shapes.FillDiamond(img, bx + boxW + S(12), at + boxH / 2, S(8), ink.Accent));
                AddText(list, banner, (width - banner.BoxWidth) / 2, at + (boxH - banner.Bounds.Height) / 2 - banner.Bounds.Y, bold: true);
            }));
        }
        int motifSize = S(50);
        var title = Text(card.Festival.ChineseName, contentWidth - 2 * (motifSize + S(10)), S(90), design.TitleStyle, S(72), S(40));
        header.Add((title.Bounds.Height, (at, list) =>
        {
            int tx = (width - title.BoxWidth) / 2;
            AddText(list, title, tx, at - title.Bounds.Y, bold: true);
            int cy = at + title.Bounds.Height / 2;
            int left = x0 + motifSize / 2 + S(2), right = width - x0 - motifSize / 2 - S(2);
            list.Add((img, ink) => Motifs.Draw(img, design.Motif, left, cy, motifSize, ink.Accent, ink.Paper, mirror: false, s));
            list.Add((img, ink) => Motifs.Draw(img, design.Motif, right, cy, motifSize, ink.Accent, ink.Paper, mirror: true, s));
        }));
        var english = Text(card.Festival.EnglishName, contentWidth, S(30), FontStyle.Sans, S(24), minText);
        header.Add((english.Bounds.Height, (at, list) => AddText(list, english, x0, at - english.Bounds.Y, bold: false)));
        header.Add((S(14), (at, list) => list.Add((img, ink) => Separator(img, x0, at + S(7), contentWidth, ink.Accent, s))));

        // Body: guest line, blessing, its English; flanked by the couplet's columns on couplet designs.
        TextBlock? upper = null, lower = null;
        int columnStrip = 0;
        if (design.Couplet is { } c)
        {
            int size = S(34);
            upper = TextLayout.Layout(_fonts, c.Upper, size, S(400), new TextLayoutOptions { Style = FontStyle.Kai, Vertical = true, MaxPixelSize = size, AutoFit = false });
            lower = TextLayout.Layout(_fonts, c.Lower, size, S(400), new TextLayoutOptions { Style = FontStyle.Kai, Vertical = true, MaxPixelSize = size, AutoFit = false });
            columnStrip = size + S(16);
        }
        int bodyX = x0 + (columnStrip > 0 ? columnStrip + S(10) : 0), bodyWidth = width - 2 * bodyX;
        var body = new List<(TextBlock Block, bool Bold, int GapAfter)>();
        var guest = card.Guest;
        if (guest.Kind != GuestTextKind.None)
        {
            bool wish = guest.Kind == GuestTextKind.Wish;
            // A name stays on one line (it shrinks instead); a wish may take up to three.
            var block = Text(guest.CardLine, bodyWidth, wish ? S(120) : S(52), FontStyle.Sans, wish ? S(30) : S(40), minText, TextAlignment.Center);
            body.Add((block, block.PixelSize >= 32, S(14)));
        }
        // One line while it fits at half the largest size; two only for a long phrase.
        var blessing = Text(card.Blessing.Chinese, bodyWidth, S(76), design.TitleStyle, S(60), S(30), TextAlignment.Center);
        body.Add((blessing, true, S(6)));
        var blessingEnglish = Text(card.Blessing.English, bodyWidth, S(64), FontStyle.Sans, S(24), minText, TextAlignment.Center);
        body.Add((blessingEnglish, false, 0));
        int bodyHeight = body.Sum(b => b.Block.Bounds.Height + b.GapAfter);
        int columnHeight = upper is null ? 0 : Math.Max(upper.Bounds.Height, lower!.Bounds.Height) + S(20);
        int middleHeight = Math.Max(bodyHeight, columnHeight);

        // Footer: separator and the date line.
        var date = Text(card.DateLine, contentWidth, S(32), FontStyle.Sans, S(24), minText, TextAlignment.Center);
        if (!date.Fits || date.Lines.Count > 1)   // too long for one line: Gregorian above, lunar below, never split inside either
            date = Text(card.DateLine.Replace("  ", "\n"), contentWidth, S(64), FontStyle.Sans, S(24), minText, TextAlignment.Center);

        int top = frameInset + pad;
        int headerHeight = header.Sum(h => h.Height) + S(8) * (header.Count - 1);
        int footerHeight = S(14) + S(8) + date.Bounds.Height;
        int needed = top + headerHeight + S(16) + middleHeight + S(16) + footerHeight + pad + frameInset;
        int height = Math.Max((int)Math.Round(width * 1.2), needed);
        int slack = height - needed;

        int y = top;
        foreach (var (h, place) in header) { place(y, ops); y += h + S(8); }
        y += S(8) + slack / 2;

        if (upper is not null)
        {
            // 上联 on the right, 下联 on the left, each on its own framed strip.
            int stripTop = y, stripHeight = middleHeight;
            int rightX = width - x0 - columnStrip, leftX = x0;
            ops.Add((img, ink) => Shapes.StrokeRect(img, rightX, stripTop, columnStrip, stripHeight, S(3), ink.Accent));
            ops.Add((img, ink) => Shapes.StrokeRect(img, leftX, stripTop, columnStrip, stripHeight, S(3), ink.Accent));
            PlaceColumn(upper, rightX, stripTop, stripHeight);
            PlaceColumn(lower!, leftX, stripTop, stripHeight);
        }
        int by = y + (middleHeight - bodyHeight) / 2;
        foreach (var (block, bold, gap) in body)
        {
            AddText(ops, block, bodyX, by - block.Bounds.Y, bold);
            by += block.Bounds.Height + gap;
        }
        y += middleHeight + S(16) + slack - slack / 2;

        int footerY = y;
        ops.Add((img, ink) => Separator(img, x0, footerY + S(7), contentWidth, ink.Accent, s));
        y += S(14) + S(8);
        AddText(ops, date, x0, y - date.Bounds.Y, bold: false);

        ops.Insert(0, (img, ink) => Frame(img, frameOuter, frameInset, ink.Accent, ink.Paper, s));
        return new CardPlan(width, height, ops);

        void PlaceColumn(TextBlock column, int stripX, int stripTop, int stripHeight)
        {
            int cx = stripX + (columnStrip - column.PixelSize) / 2 - (column.BoxWidth - column.PixelSize);
            int cy = stripTop + (stripHeight - column.Bounds.Height) / 2;
            AddText(ops, column, cx, cy, bold: true);
        }
    }

    /// <summary>Auto-fitted text in a box <paramref name="width"/> wide, at most <paramref name="height"/> tall.</summary>
    private TextBlock Text(string text, int width, int height, FontStyle style, int max, int min, TextAlignment alignment = TextAlignment.Center) =>
        TextLayout.Layout(_fonts, text, width, height, new TextLayoutOptions
        {
            Style = style, MaxPixelSize = max, MinPixelSize = Math.Min(min, max), Alignment = alignment, LineSpacing = 1.1,
        });

    private void AddText(List<Action<ImageBuffer, Inks>> ops, TextBlock block, int x, int y, bool bold)
    {
        // Thermal dots are coarse: large text gets one more pass a dot to the right so strokes stay solid.
        bool embolden = bold && block.PixelSize >= 32;
        ops.Add((img, ink) =>
        {
            _fonts.Draw(img, block, x, y, ink.Ink.R, ink.Ink.G, ink.Ink.B);
            if (embolden) _fonts.Draw(img, block, x + 1, y, ink.Ink.R, ink.Ink.G, ink.Ink.B);
        });
    }

    private static void Frame(ImageBuffer img, int outer, int inset, CardColour ink, CardColour paper, double s)
    {
        int W = img.Width, H = img.Height;
        int thick = Math.Max(3, (int)Math.Round(6 * s)), thin = Math.Max(2, (int)Math.Round(3 * s));
        Shapes.StrokeRect(img, outer, outer, W - 2 * outer, H - 2 * outer, thick, ink);
        int innerOffset = inset - thin;
        Shapes.StrokeRect(img, innerOffset, innerOffset, W - 2 * innerOffset, H - 2 * innerOffset, thin, ink);
        // 回-pattern corner blocks over both frames.
        int block = (int)Math.Round(22 * s), c = outer + (inset - outer) / 2;
        foreach (var (cx, cy) in new[] { (c, c), (W - c, c), (c, H - c), (W - c, H - c) })
        {
            int x = cx - block / 2, y = cy - block / 2, step = Math.Max(2, block / 6);
            Shapes.FillRect(img, x, y, block, block, ink);
            Shapes.FillRect(img, x + step, y + step, block - 2 * step, block - 2 * step, paper);
            Shapes.FillRect(img, x + 2 * step, y + 2 * step, block - 4 * step, block - 4 * step, ink);
        }
    }

    private static void Separator(ImageBuffer img, int x, int y, int width, CardColour ink, double s)
    {
        int t = Math.Max(2, (int)Math.Round(3 * s)), d = (int)Math.Round(7 * s), gap = (int)Math.Round(16 * s);
        int mid = x + width / 2, margin = (int)Math.Round(width * 0.12);
        Shapes.FillRect(img, x + margin, y - t / 2, mid - gap - x - margin, t, ink);
        Shapes.FillRect(img, mid + gap, y - t / 2, x + width - margin - mid - gap, t, ink);
        Shapes.FillDiamond(img, mid, y, d, ink);
        Shapes.FillDiamond(img, x + margin - d, y, d / 2 + 1, ink);
        Shapes.FillDiamond(img, x + width - margin + d, y, d / 2 + 1, ink);
    }
}

/// <summary>The festival ornaments, from circles, rectangles, lines and polygons; solid, for thermal paper.</summary>
internal static class Motifs
{
    public static void Draw(ImageBuffer img, CardMotif motif, int cx, int cy, int size, CardColour ink, CardColour paper, bool mirror, double s)
    {
        int r = size / 2, t = Math.Max(2, (int)Math.Round(3 * s));
        int dir = mirror ? -1 : 1;
        switch (motif)
        {
            case CardMotif.Clouds:
                // 祥云: three rings on a base, the middle one larger, with a curl.
                Shapes.FillCircle(img, cx - dir * r / 2, cy + r / 5, r * 2 / 5, ink);
                Shapes.FillCircle(img, cx + dir * r / 6, cy - r / 8, r / 2, ink);
                Shapes.FillCircle(img, cx + dir * r * 3 / 5, cy + r / 4, r * 3 / 10, ink);
                Shapes.FillCircle(img, cx - dir * r / 2, cy + r / 5, r * 2 / 5 - t, paper);
                Shapes.FillCircle(img, cx + dir * r / 6, cy - r / 8, r / 2 - t, paper);
                Shapes.FillCircle(img, cx + dir * r * 3 / 5, cy + r / 4, r * 3 / 10 - t, paper);
                Shapes.FillCircle(img, cx + dir * r / 6, cy - r / 8, r / 5, ink);
                Shapes.FillRect(img, cx - r, cy + r * 3 / 5, 2 * r, t, ink);
                break;
            case CardMotif.Lanterns:
                Shapes.FillRect(img, cx - t / 2, cy - r, t, r / 4, ink);                         // string
                Shapes.FillRect(img, cx - r / 3, cy - r * 3 / 4, r * 2 / 3, r / 8 + 1, ink);        // cap
                Shapes.FillEllipse(img, cx, cy, r * 3 / 4, r * 3 / 5, ink);                       // body
                Shapes.FillRect(img, cx - t / 2, cy - r * 3 / 5, t, r * 6 / 5, paper);              // rib
                Shapes.FillEllipse(img, cx, cy, r * 3 / 8, r * 3 / 5 - t, paper);
                Shapes.FillEllipse(img, cx, cy, r * 3 / 8 - t, r * 3 / 5 - 2 * t, ink);
                Shapes.FillRect(img, cx - r / 3, cy + r * 3 / 5, r * 2 / 3, r / 8 + 1, ink);        // foot
                for (int i = -1; i <= 1; i++)
                    Shapes.FillRect(img, cx + i * r / 5 - t / 2, cy + r * 3 / 4, t, r / 4, ink);   // tassel
                break;
            case CardMotif.Moon:
                Shapes.FillCircle(img, cx, cy, r * 4 / 5, ink);
                Shapes.FillCircle(img, cx, cy, r * 4 / 5 - t, paper);
                Shapes.FillCircle(img, cx, cy, r * 4 / 5 - 2 * t, ink);
                // A wisp of cloud across the moon.
                Shapes.FillRect(img, cx - r, cy + r / 3, r * 6 / 5, t * 2, paper);
                Shapes.FillRect(img, cx - r + t, cy + r / 3 + t / 2, r * 6 / 5 - t, t, ink);
                break;
            case CardMotif.Waves:
                // Three parallel rows of swell, each a thick sine line.
                for (int row = 0; row < 3; row++)
                {
                    double baseY = cy - r / 2.0 + row * r / 2.0, phase = mirror ? Math.PI : 0;
                    int steps = 16;
                    for (int i = 0; i < steps; i++)
                    {
                        double xa = cx - r + 2.0 * r * i / steps, xb = cx - r + 2.0 * r * (i + 1) / steps;
                        double ya = baseY + Math.Sin(phase + 2 * Math.PI * 1.5 * i / steps) * r / 6;
                        double yb = baseY + Math.Sin(phase + 2 * Math.PI * 1.5 * (i + 1) / steps) * r / 6;
                        Shapes.ThickLine(img, xa, ya, xb, yb, t, ink);
                        Shapes.FillCircle(img, (int)Math.Round(xb), (int)Math.Round(yb), t / 2, ink);
                    }
                }
                break;
            case CardMotif.Stars:
                Shapes.FillStar(img, cx - dir * r / 6, cy, r * 3 / 5, ink);
                Shapes.FillStar(img, cx + dir * r * 3 / 5, cy - r / 2, r / 4, ink);
                Shapes.FillStar(img, cx + dir * r * 2 / 3, cy + r / 3, r / 5, ink);
                break;
            case CardMotif.Chrysanthemum:
                // Radiating petals with paper between them around a ringed heart.
                for (int i = 0; i < 12; i++)
                {
                    double a = i * Math.PI / 6;
                    Shapes.ThickLine(img, cx + Math.Cos(a) * r * 0.35, cy + Math.Sin(a) * r * 0.35, cx + Math.Cos(a) * r * 0.78, cy + Math.Sin(a) * r * 0.78, 2 * t, ink);
                    Shapes.FillCircle(img, cx + (int)Math.Round(Math.Cos(a) * r * 0.78), cy + (int)Math.Round(Math.Sin(a) * r * 0.78), t, ink);
                }
                Shapes.FillCircle(img, cx, cy, r / 4, ink);
                Shapes.FillCircle(img, cx, cy, r / 4 - t, paper);
                Shapes.FillCircle(img, cx, cy, r / 8, ink);
                break;
            case CardMotif.Snowflakes:
                for (int i = 0; i < 3; i++)
                {
                    double a = i * Math.PI / 3;
                    Shapes.ThickLine(img, cx - Math.Cos(a) * r * 0.8, cy - Math.Sin(a) * r * 0.8, cx + Math.Cos(a) * r * 0.8, cy + Math.Sin(a) * r * 0.8, t, ink);
                }
                for (int i = 0; i < 6; i++)
                {
                    double a = i * Math.PI / 3, bx = cx + Math.Cos(a) * r * 0.5, by = cy + Math.Sin(a) * r * 0.5;
                    Shapes.ThickLine(img, bx, by, bx + Math.Cos(a + 0.8) * r * 0.25, by + Math.Sin(a + 0.8) * r * 0.25, t, ink);
                    Shapes.ThickLine(img, bx, by, bx + Math.Cos(a - 0.8) * r * 0.25, by + Math.Sin(a - 0.8) * r * 0.25, t, ink);
                }
                break;
            case CardMotif.Fireworks:
                for (int i = 0; i < 12; i++)
                {
                    double a = i * Math.PI / 6;
                    Shapes.ThickLine(img, cx + Math.Cos(a) * r * 0.3, cy + Math.Sin(a) * r * 0.3, cx + Math.Cos(a) * r * 0.75, cy + Math.Sin(a) * r * 0.75, t, ink);
                    Shapes.FillCircle(img, cx + (int)Math.Round(Math.Cos(a) * r * 0.92), cy + (int)Math.Round(Math.Sin(a) * r * 0.92), t, ink);
                }
                Shapes.FillCircle(img, cx, cy, t + 1, ink);
                break;
            default:
                Shapes.FillDiamond(img, cx, cy, r * 3 / 5, ink);
                Shapes.FillDiamond(img, cx, cy, r * 3 / 5 - 2 * t, paper);
                Shapes.FillDiamond(img, cx, cy, r / 4, ink);
                break;
        }
    }
}

/// <summary>Solid, aliased shapes (crisp dots for the printer) on Gray8 or 24-bit images, clipped to the image.</summary>
internal static class Shapes
{
    public static void FillRect(ImageBuffer img, int x, int y, int w, int h, CardColour c)
    {
        int x0 = Math.Max(0, x), y0 = Math.Max(0, y), x1 = Math.Min(img.Width, x + w), y1 = Math.Min(img.Height, y + h);
        for (int yy = y0; yy < y1; yy++) Span(img, yy, x0, x1, c);
    }

    public static void StrokeRect(ImageBuffer img, int x, int y, int w, int h, int t, CardColour c)
    {
        FillRect(img, x, y, w, t, c);
        FillRect(img, x, y + h - t, w, t, c);
        FillRect(img, x, y, t, h, c);
        FillRect(img, x + w - t, y, t, h, c);
    }

    public static void FillCircle(ImageBuffer img, int cx, int cy, int r, CardColour c) => FillEllipse(img, cx, cy, r, r, c);

    public static void FillEllipse(ImageBuffer img, int cx, int cy, int rx, int ry, CardColour c)
    {
        if (rx <= 0 || ry <= 0) return;
        for (int dy = -ry; dy <= ry; dy++)
        {
            double f = 1 - (dy + 0.0) * dy / ((ry + 0.5) * (ry + 0.5));
            if (f < 0) continue;
            int half = (int)Math.Round((rx + 0.5) * Math.Sqrt(f) - 0.5);
            int y = cy + dy;
            if (y < 0 || y >= img.Height) continue;
            Span(img, y, Math.Max(0, cx - half), Math.Min(img.Width, cx + half + 1), c);
        }
    }

    public static void FillDiamond(ImageBuffer img, int cx, int cy, int r, CardColour c)
    {
        for (int dy = -r; dy <= r; dy++)
        {
            int y = cy + dy, half = r - Math.Abs(dy);
            if (y < 0 || y >= img.Height) continue;
            Span(img, y, Math.Max(0, cx - half), Math.Min(img.Width, cx + half + 1), c);
        }
    }

    public static void FillStar(ImageBuffer img, int cx, int cy, int r, CardColour c)
    {
        var points = new (double X, double Y)[10];
        for (int i = 0; i < 10; i++)
        {
            double a = -Math.PI / 2 + i * Math.PI / 5, radius = i % 2 == 0 ? r : r * 0.4;
            points[i] = (cx + Math.Cos(a) * radius, cy + Math.Sin(a) * radius);
        }
        FillPolygon(img, points, c);
    }

    public static void ThickLine(ImageBuffer img, double x0, double y0, double x1, double y1, int t, CardColour c)
    {
        double dx = x1 - x0, dy = y1 - y0, length = Math.Sqrt(dx * dx + dy * dy);
        if (length < 1e-6) return;
        double nx = -dy / length * t / 2.0, ny = dx / length * t / 2.0;
        FillPolygon(img, [(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)], c);
    }

    /// <summary>Even-odd scanline fill, sampling pixel centres.</summary>
    public static void FillPolygon(ImageBuffer img, ReadOnlySpan<(double X, double Y)> points, CardColour c)
    {
        double minY = double.MaxValue, maxY = double.MinValue;
        foreach (var p in points) { minY = Math.Min(minY, p.Y); maxY = Math.Max(maxY, p.Y); }
        Span<double> xs = stackalloc double[points.Length];
        for (int y = Math.Max(0, (int)Math.Floor(minY)); y <= Math.Min(img.Height - 1, (int)Math.Ceiling(maxY)); y++)
        {
            double sy = y + 0.5;
            int count = 0;
            for (int i = 0; i < points.Length; i++)
            {
                var a = points[i];
                var b = points[(i + 1) % points.Length];
                if ((a.Y <= sy && b.Y > sy) || (b.Y <= sy && a.Y > sy))
                    xs[count++] = a.X + (sy - a.Y) / (b.Y - a.Y) * (b.X - a.X);
            }
            xs[..count].Sort();
            for (int i = 0; i + 1 < count; i += 2)
            {
                int from = Math.Max(0, (int)Math.Ceiling(xs[i] - 0.5)), to = Math.Min(img.Width, (int)Math.Ceiling(xs[i + 1] - 0.5));
                if (to > from) Span(img, y, from, to, c);
            }
        }
    }

    /// <summary>Area-averaging downscale of <paramref name="src"/> into a <paramref name="w"/> × <paramref name="h"/> rectangle of <paramref name="dst"/> (same format).</summary>
    public static void AreaResize(ImageBuffer src, ImageBuffer dst, int left, int top, int w, int h)
    {
        int bpp = src.BytesPerPixel;
        double sx = (double)src.Width / w, sy = (double)src.Height / h;
        Span<double> sum = stackalloc double[4];
        for (int y = 0; y < h; y++)
        {
            int dy = top + y;
            if (dy < 0 || dy >= dst.Height) continue;
            double fy0 = y * sy, fy1 = (y + 1) * sy;
            var row = dst.Row(dy);
            for (int x = 0; x < w; x++)
            {
                int dx = left + x;
                if (dx < 0 || dx >= dst.Width) continue;
                double fx0 = x * sx, fx1 = (x + 1) * sx, area = 0;
                sum.Clear();
                for (int yy = (int)fy0; yy < Math.Min(src.Height, (int)Math.Ceiling(fy1)); yy++)
                {
                    double wy = Math.Min(fy1, yy + 1) - Math.Max(fy0, yy);
                    var srow = src.Row(yy);
                    for (int xx = (int)fx0; xx < Math.Min(src.Width, (int)Math.Ceiling(fx1)); xx++)
                    {
                        double wgt = wy * (Math.Min(fx1, xx + 1) - Math.Max(fx0, xx));
                        for (int ch = 0; ch < bpp; ch++) sum[ch] += srow[xx * bpp + ch] * wgt;
                        area += wgt;
                    }
                }
                for (int ch = 0; ch < bpp; ch++) row[dx * bpp + ch] = (byte)Math.Clamp((int)Math.Round(sum[ch] / area), 0, 255);
            }
        }
    }

    private static void Span(ImageBuffer img, int y, int x0, int x1, CardColour c)
    {
        if (x1 <= x0) return;
        var row = img.Row(y);
        switch (img.Format)
        {
            case PixelFormat.Gray8:
                row[x0..x1].Fill((byte)((c.R * 299 + c.G * 587 + c.B * 114 + 500) / 1000));
                break;
            case PixelFormat.Rgb24:
                for (int x = x0; x < x1; x++) { row[3 * x] = c.R; row[3 * x + 1] = c.G; row[3 * x + 2] = c.B; }
                break;
            default:
                throw new ArgumentException($"cards are drawn on Gray8 or Rgb24, not {img.Format}", nameof(img));
        }
    }
}
