using Edge.Models.Imaging;
using Edge.Models.Text;

namespace Edge.Models.Synthetic;

/// <summary>
/// A seeded, reproducible OCR evaluation set of what a festival kiosk is shown: blessing cards in
/// Chinese, English, digits and mixtures, in Sans and Kai, on paper and on red cards with gold
/// text, flat, tilted, upside down, photographed at an angle, as vertical couplets and columns,
/// with blur, noise and JPEG flags on some. Legible by design: margins of at least one text height,
/// 28–64 px text, cards of roughly 320–1000 px.
/// </summary>
public static class OcrSampleSet
{
    private enum Topic { Zh, En, Num, Mix, Couplet, Column }

    private enum Look { Paper, Red, Strips }

    private readonly record struct Rgb(byte R, byte G, byte B);

    private sealed class Card
    {
        public required SampleKind Kind { get; init; }
        public required Topic Topic { get; init; }
        public required FontStyle Style { get; init; }
        public required Look Look { get; init; }
        public required string[] Lines { get; init; }
        public required int[] Sizes { get; init; }
        public required Rgb Paper { get; init; }
        public required Rgb Ink { get; init; }
        public required Rgb Table { get; init; }
        public required bool LeftAligned { get; init; }
        public required int Seed { get; init; }
        public double Angle { get; init; }
        public string Name { get; set; } = "";
        public double Blur { get; set; }
        public int Noise { get; set; }
        public int? JpegQuality { get; set; }
    }

    private static readonly Rgb[] PaperColours = [new(250, 250, 247), new(244, 236, 214), new(249, 244, 230), new(238, 238, 233)];
    private static readonly Rgb[] InkColours = [new(28, 28, 30), new(45, 32, 24), new(22, 34, 78), new(105, 18, 22)];
    private static readonly Rgb[] WallColours = [new(236, 228, 210), new(214, 210, 200), new(226, 220, 205)];
    private static readonly Rgb[] TableColours = [new(120, 96, 70), new(88, 88, 92), new(60, 62, 66), new(170, 160, 145), new(200, 200, 196)];
    private static readonly Rgb CardRed = new(200, 20, 30), Gold = new(240, 200, 80), BrushBlack = new(30, 20, 20);

    private const int MinText = 28, MinCard = 320, MaxFlatCard = 1000, MaxPhotographedCard = 760;

    /// <summary>
    /// The samples for <paramref name="seed"/>: 52 of them, identical pixels for the same seed.
    /// Each is rendered when enumerated; dispose them to return their buffers.
    /// </summary>
    public static IEnumerable<OcrSample> Generate(int seed = 2026)
    {
        var plan = Plan(seed);
        using var text = new TextRenderer();
        foreach (var card in plan) yield return Render(card, text);
    }

    /// <summary>
    /// One card drawn the way the set draws its cards (paper, margins, shading, optional turn on a table), for
    /// callers that need a particular text: the kiosk simulator's scripted guests show these. Lines are horizontal
    /// top to bottom, or vertical columns right to left when <paramref name="vertical"/>; a non-zero
    /// <paramref name="angle"/> lays the card on a table turned by that many degrees.
    /// </summary>
    public static OcrSample RenderCard(string name, IReadOnlyList<string> lines, FontStyle style, bool vertical = false,
        bool redCard = false, double angle = 0, int textSize = 56, int seed = 1, TextRenderer? text = null)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (lines.Count == 0) throw new ArgumentException("a card needs at least one line", nameof(lines));
        ArgumentOutOfRangeException.ThrowIfLessThan(textSize, MinText);
        var rng = new Random(seed);
        var card = new Card
        {
            Kind = vertical ? SampleKind.Vertical : angle != 0 ? SampleKind.Rotated : SampleKind.Horizontal,
            Topic = vertical ? (lines.Count == 2 ? Topic.Couplet : Topic.Column) : Topic.Zh,
            Style = style, Look = redCard ? Look.Red : Look.Paper, Lines = [.. lines], Sizes = [.. lines.Select(_ => textSize)],
            Paper = redCard ? CardRed : Pick(PaperColours, rng), Ink = redCard ? Gold : Pick(InkColours, rng),
            Table = Pick(TableColours, rng), LeftAligned = false, Seed = seed, Angle = angle, Name = name,
        };
        if (text is not null) return Render(card, text);
        using var own = new TextRenderer();
        return Render(card, own);
    }

    private static List<Card> Plan(int seed)
    {
        var rng = new Random(seed);
        var decks = new Decks(rng);
        var cards = new List<Card>();

        void Add(SampleKind kind, Topic topic, FontStyle style, Look look, double angle = 0)
        {
            var (lines, sizes) = decks.Lines(topic);
            cards.Add(new Card
            {
                Kind = kind, Topic = topic, Style = style, Look = look, Lines = lines, Sizes = sizes, Angle = angle,
                Paper = look switch { Look.Red => Jitter(CardRed, rng, 8), Look.Strips => Pick(WallColours, rng), _ => Pick(PaperColours, rng) },
                Ink = look switch { Look.Red => Jitter(Gold, rng, 6), Look.Strips => rng.Next(3) == 0 ? BrushBlack : Jitter(Gold, rng, 6), _ => Pick(InkColours, rng) },
                Table = Pick(TableColours, rng),
                LeftAligned = topic is Topic.En or Topic.Num && rng.Next(3) == 0,
                Seed = rng.Next(),
            });
        }

        const FontStyle Sans = FontStyle.Sans, Kai = FontStyle.Kai;
        foreach (var (topic, style, look, count) in new[]
        {
            (Topic.Zh, Sans, Look.Paper, 4), (Topic.Zh, Kai, Look.Paper, 4), (Topic.En, Sans, Look.Paper, 4),
            (Topic.Num, Sans, Look.Paper, 2), (Topic.Num, Kai, Look.Paper, 1), (Topic.Mix, Sans, Look.Paper, 2),
            (Topic.Mix, Kai, Look.Paper, 2), (Topic.Zh, Kai, Look.Red, 2), (Topic.Zh, Sans, Look.Red, 1), (Topic.Mix, Sans, Look.Red, 1),
        })
            for (int i = 0; i < count; i++) Add(SampleKind.Horizontal, topic, style, look);

        // Tilts cover the whole ±18° range: fixed magnitudes in random order with random signs.
        double[] tilts = [4, 6, 8, 10, 12, 14, 16, 17, 18];
        rng.Shuffle(tilts);
        (Topic, FontStyle, Look)[] tilted =
        [
            (Topic.Zh, Sans, Look.Paper), (Topic.Zh, Kai, Look.Paper), (Topic.En, Sans, Look.Paper), (Topic.Mix, Kai, Look.Paper),
            (Topic.Num, Sans, Look.Paper), (Topic.Zh, Kai, Look.Red), (Topic.Mix, Sans, Look.Red), (Topic.Zh, Sans, Look.Paper), (Topic.En, Sans, Look.Paper),
        ];
        for (int i = 0; i < tilted.Length; i++)
            Add(SampleKind.Rotated, tilted[i].Item1, tilted[i].Item2, tilted[i].Item3, tilts[i] * (rng.Next(2) == 0 ? -1 : 1));

        (Topic, FontStyle, Look)[] flipped =
            [(Topic.Zh, Sans, Look.Paper), (Topic.En, Sans, Look.Paper), (Topic.Mix, Kai, Look.Paper), (Topic.Zh, Kai, Look.Red), (Topic.Zh, Sans, Look.Red)];
        foreach (var (topic, style, look) in flipped)
            Add(SampleKind.UpsideDown, topic, style, look, 180 + (rng.Next(2) == 0 ? 0 : rng.Next(-3, 4)));

        (Topic, FontStyle, Look)[] vertical =
        [
            (Topic.Couplet, Kai, Look.Paper), (Topic.Couplet, Kai, Look.Strips), (Topic.Couplet, Kai, Look.Strips),
            (Topic.Couplet, Sans, Look.Paper), (Topic.Couplet, Sans, Look.Strips),
            (Topic.Column, Kai, Look.Paper), (Topic.Column, Kai, Look.Red), (Topic.Column, Sans, Look.Paper), (Topic.Column, Sans, Look.Red),
        ];
        foreach (var (topic, style, look) in vertical) Add(SampleKind.Vertical, topic, style, look);

        (Topic, FontStyle, Look)[] photographed =
        [
            (Topic.Zh, Sans, Look.Paper), (Topic.En, Sans, Look.Paper), (Topic.Mix, Kai, Look.Paper),
            (Topic.Zh, Kai, Look.Red), (Topic.Num, Sans, Look.Paper), (Topic.Couplet, Kai, Look.Strips),
        ];
        foreach (var (topic, style, look) in photographed) Add(SampleKind.Perspective, topic, style, look);

        // Degradations on a fixed rhythm, so every seed gets each of them on several kinds.
        var counters = new Dictionary<string, int>();
        for (int i = 0; i < cards.Count; i++)
        {
            var card = cards[i];
            if (i % 4 == 1) card.Blur = Math.Round(0.8 + rng.NextDouble() * 0.7, 2);
            if (i % 3 == 2) card.Noise = rng.Next(4, 11);
            if (i % 4 == 3) card.JpegQuality = rng.Next(40, 76);
            string prefix = NamePrefix(card);
            counters[prefix] = counters.GetValueOrDefault(prefix) + 1;
            card.Name = $"{prefix}-{counters[prefix]:00}";
        }
        return cards;
    }

    private static string NamePrefix(Card card)
    {
        string font = card.Style == FontStyle.Kai ? "kai" : "sans";
        string content = card.Look == Look.Red && card.Kind != SampleKind.Vertical ? "red" : card.Topic switch
        {
            Topic.Zh => "zh", Topic.En => "en", Topic.Num => "num", Topic.Mix => "mix", Topic.Couplet => "couplet", _ => "col",
        };
        string kind = card.Kind switch
        {
            SampleKind.Horizontal => "h", SampleKind.Rotated => "r-tilt", SampleKind.UpsideDown => "r-180", SampleKind.Vertical => "v", _ => "p",
        };
        return $"{kind}-{content}-{font}";
    }

    private static OcrSample Render(Card card, TextRenderer text)
    {
        var rng = new Random(card.Seed);
        bool vertical = card.Topic is Topic.Couplet or Topic.Column;
        bool photographed = card.Kind is SampleKind.Rotated or SampleKind.UpsideDown or SampleKind.Perspective;
        int maxWidth = photographed ? MaxPhotographedCard : MaxFlatCard;
        var image = vertical ? PaintColumns(card, text, rng) : PaintLines(card, text, rng, maxWidth);

        if (photographed)
        {
            using var flat = image;
            image = card.Kind == SampleKind.Perspective ? Tilt(flat, card.Table, rng) : Turn(flat, card.Angle, card.Table);
            Shade(image, rng, 0.16);   // uneven room lighting across the photo
        }
        ImageWarp.GaussianBlur(image, card.Blur);
        ImageWarp.AddNoise(image, rng, card.Noise);
        var lines = card.Lines.Select(line => new SampleLine(line, vertical)).ToArray();
        return new OcrSample(card.Name, card.Kind, lines, image, card.JpegQuality);
    }

    /// <summary>Horizontal lines, centred (or left-aligned), with a margin of at least one line height.</summary>
    private static ImageBuffer PaintLines(Card card, TextRenderer text, Random rng, int maxWidth)
    {
        double marginFactor = 1.0 + rng.NextDouble() * 0.5, aspect = 0.55 + rng.NextDouble() * 0.2;
        int[] sizes = card.Sizes;
        (int Width, int Height)[] boxes;
        int margin, gap;
        while (true)
        {
            boxes = card.Lines.Select((line, i) => text.Measure(line, sizes[i], card.Style)).ToArray();
            margin = (int)Math.Ceiling(boxes.Max(b => b.Height) * marginFactor);
            gap = (int)(sizes.Max() * 0.35);
            if (boxes.Max(b => b.Width) + 2 * margin <= maxWidth || sizes.All(s => s == MinText)) break;
            sizes = sizes.Select(s => Math.Max(MinText, (int)(s * 0.9))).ToArray();   // too wide for the card: shrink the text
        }
        int blockWidth = boxes.Max(b => b.Width), blockHeight = boxes.Sum(b => b.Height) + gap * (boxes.Length - 1);
        int width = Math.Max(MinCard, blockWidth + 2 * margin);
        int height = Math.Min(MaxFlatCard, Math.Max(blockHeight + 2 * margin, (int)(width * aspect)));

        var image = new ImageBuffer(width, height, PixelFormat.Rgb24);
        Fill(image, 0, 0, width, height, card.Paper);
        Shade(image, rng, 0.05);   // paper is never perfectly even
        if (card.Look == Look.Red) Frame(image, margin / 2, Math.Max(2, sizes[0] / 16), card.Ink);

        int y = (height - blockHeight) / 2;
        for (int i = 0; i < boxes.Length; i++)
        {
            int x = card.LeftAligned ? margin : (width - boxes[i].Width) / 2;
            text.Draw(image, card.Lines[i], x, y, sizes[i], card.Style, card.Ink.R, card.Ink.G, card.Ink.B);
            y += boxes[i].Height + gap;
        }
        return image;
    }

    /// <summary>Vertical columns: a couplet (上联 on the right, a clear gap, 下联 on the left) or one column.</summary>
    private static ImageBuffer PaintColumns(Card card, TextRenderer text, Random rng)
    {
        int size = card.Sizes[0];
        var boxes = card.Lines.Select(line => text.Measure(line, size, card.Style, vertical: true)).ToArray();
        int margin = (int)Math.Ceiling(size * 1.05 * (1.1 + rng.NextDouble() * 0.4));
        int gap = card.Lines.Length == 2 ? (int)(size * (1.6 + rng.NextDouble() * 0.8)) : 0;
        int blockWidth = boxes.Sum(b => b.Width) + gap, blockHeight = boxes.Max(b => b.Height);
        int width = Math.Max(MinCard, blockWidth + 2 * margin), height = blockHeight + 2 * margin;

        var image = new ImageBuffer(width, height, PixelFormat.Rgb24);
        Fill(image, 0, 0, width, height, card.Paper);
        Shade(image, rng, 0.05);
        if (card.Look == Look.Red) Frame(image, margin / 2, Math.Max(2, size / 16), card.Ink);

        // Right to left, the order the columns are read in.
        int x = (width + blockWidth) / 2;
        for (int i = 0; i < boxes.Length; i++)
        {
            x -= boxes[i].Width;
            int y = (height - boxes[i].Height) / 2;
            if (card.Look == Look.Strips)
            {
                int padX = size * 3 / 10, padY = size * 9 / 20;
                var strip = Jitter(CardRed, rng, 8);
                Fill(image, x - padX, y - padY, boxes[i].Width + 2 * padX, boxes[i].Height + 2 * padY, strip);
            }
            text.Draw(image, card.Lines[i], x, y, size, card.Style, card.Ink.R, card.Ink.G, card.Ink.B, vertical: true);
            x -= gap;
        }
        return image;
    }

    /// <summary>The card lying on a table, turned by <paramref name="degrees"/>.</summary>
    private static ImageBuffer Turn(ImageBuffer card, double degrees, Rgb table)
    {
        int pad = (int)(0.06 * Math.Max(card.Width, card.Height));
        using var onTable = new ImageBuffer(card.Width + 2 * pad, card.Height + 2 * pad, PixelFormat.Rgb24);
        Fill(onTable, 0, 0, onTable.Width, onTable.Height, table);
        for (int y = 0; y < card.Height; y++) card.Row(y).CopyTo(onTable.Row(y + pad)[(pad * 3)..]);
        var photo = new ImageBuffer();
        ImageWarp.Rotate(onTable, photo, degrees, table.R, table.G, table.B);
        return photo;
    }

    /// <summary>
    /// The card on a table seen at an angle: the edge farther from the camera shrinks by 3–6% at
    /// each end (keystone), and every corner shifts by up to 2% more, so no corner moves more than 8%.
    /// </summary>
    private static ImageBuffer Tilt(ImageBuffer card, Rgb table, Random rng)
    {
        int pad = (int)(0.1 * Math.Max(card.Width, card.Height));
        float w = card.Width, h = card.Height, k = (float)(0.03 + rng.NextDouble() * 0.03);
        Span<(float X, float Y)> corners = [(pad, pad), (pad + w, pad), (pad + w, pad + h), (pad, pad + h)];
        switch (rng.Next(4))   // which edge is far from the camera
        {
            case 0: corners[0].X += k * w; corners[1].X -= k * w; break;
            case 1: corners[1].Y += k * h; corners[2].Y -= k * h; break;
            case 2: corners[3].X += k * w; corners[2].X -= k * w; break;
            default: corners[0].Y += k * h; corners[3].Y -= k * h; break;
        }
        for (int i = 0; i < 4; i++)
        {
            corners[i].X += (float)((rng.NextDouble() * 2 - 1) * 0.02 * w);
            corners[i].Y += (float)((rng.NextDouble() * 2 - 1) * 0.02 * h);
        }
        var photo = new ImageBuffer(card.Width + 2 * pad, card.Height + 2 * pad, PixelFormat.Rgb24);
        ImageWarp.Perspective(card, photo, corners, table.R, table.G, table.B);
        return photo;
    }

    private static void Fill(ImageBuffer image, int x, int y, int width, int height, Rgb colour)
    {
        int x0 = Math.Max(0, x), x1 = Math.Min(image.Width, x + width);
        for (int row = Math.Max(0, y); row < Math.Min(image.Height, y + height); row++)
        {
            var pixels = image.Row(row);
            for (int p = x0 * 3; p < x1 * 3; p += 3) (pixels[p], pixels[p + 1], pixels[p + 2]) = (colour.R, colour.G, colour.B);
        }
    }

    /// <summary>A printed border inside the card's margin, as on red greeting cards.</summary>
    private static void Frame(ImageBuffer image, int inset, int thickness, Rgb colour)
    {
        int w = image.Width - 2 * inset, h = image.Height - 2 * inset;
        Fill(image, inset, inset, w, thickness, colour);
        Fill(image, inset, inset + h - thickness, w, thickness, colour);
        Fill(image, inset, inset, thickness, h, colour);
        Fill(image, inset + w - thickness, inset, thickness, h, colour);
    }

    /// <summary>Brightness falling off linearly in a random direction by up to ±<paramref name="strength"/>/2.</summary>
    private static void Shade(ImageBuffer image, Random rng, double strength)
    {
        double gx = (rng.NextDouble() * 2 - 1) * strength, gy = (rng.NextDouble() * 2 - 1) * strength;
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.Row(y);
            double rowGain = 1 + gy * ((y + 0.5) / image.Height - 0.5);
            for (int x = 0; x < image.Width; x++)
            {
                double gain = rowGain + gx * ((x + 0.5) / image.Width - 0.5);
                for (int c = x * 3; c < x * 3 + 3; c++) row[c] = (byte)Math.Clamp((int)(row[c] * gain + 0.5), 0, 255);
            }
        }
    }

    private static Rgb Pick(Rgb[] colours, Random rng) => colours[rng.Next(colours.Length)];

    private static Rgb Jitter(Rgb colour, Random rng, int amount)
    {
        byte J(byte v) => (byte)Math.Clamp(v + rng.Next(-amount, amount + 1), 0, 255);
        return new Rgb(J(colour.R), J(colour.G), J(colour.B));
    }

    /// <summary>Shuffled text pools dealt without repeats until each runs out.</summary>
    private sealed class Decks(Random rng)
    {
        private readonly Dictionary<object, object> _decks = [];   // pool array → Queue of its items

        public (string[] Lines, int[] Sizes) Lines(Topic topic)
        {
            int size = topic switch { Topic.Zh or Topic.Column => rng.Next(44, 65), Topic.Couplet => rng.Next(40, 61), _ => rng.Next(36, 57) };
            int Smaller(double f) => Math.Max(MinText, (int)(size * f));
            switch (topic)
            {
                case Topic.Zh:
                    int count = rng.Next(1, 4);
                    var zh = new List<string> { rng.Next(2) == 0 ? Deal(SampleTexts.Greetings) : Deal(SampleTexts.Blessings) };
                    while (zh.Count < count) zh.Add(Deal(SampleTexts.Blessings, [.. zh]));
                    return ([.. zh], zh.Select((_, i) => i == 0 ? size : Smaller(0.8)).ToArray());
                case Topic.En:
                    string phrase = Deal(SampleTexts.English);
                    if (rng.Next(3) == 0) return ([phrase], [size]);
                    return ([phrase, string.Format(Deal(SampleTexts.SignOffs), Deal(SampleTexts.Names))], [size, Smaller(0.75)]);
                case Topic.Num:
                    string heading = rng.Next(2) == 0 ? Deal(SampleTexts.Blessings) : Deal(SampleTexts.English);
                    string number = Deal(SampleTexts.Numbers);
                    return rng.Next(3) == 0 ? ([number, Deal(SampleTexts.Numbers, [number])], [size, Smaller(0.85)]) : ([heading, number], [size, Smaller(0.85)]);
                case Topic.Mix:
                    string mixed = Deal(SampleTexts.Mixed);
                    return rng.Next(2) == 0 ? ([mixed], [size]) : ([Deal(SampleTexts.Blessings), mixed], [size, Smaller(0.85)]);
                case Topic.Couplet:
                    var pair = Deal(SampleTexts.Couplets);
                    return ([pair.First, pair.Second], [size, size]);
                default:
                    return ([Deal(SampleTexts.Columns)], [size]);
            }
        }

        /// <summary>The next item of <paramref name="pool"/>'s shuffled deck, skipping any in <paramref name="avoid"/>.</summary>
        private T Deal<T>(T[] pool, params T[] avoid)
        {
            while (true)
            {
                if (!_decks.TryGetValue(pool, out var deck) || ((Queue<T>)deck).Count == 0)
                {
                    var order = (T[])pool.Clone();
                    rng.Shuffle(order);
                    _decks[pool] = deck = new Queue<T>(order);
                }
                var next = ((Queue<T>)deck).Dequeue();
                if (Array.IndexOf(avoid, next) < 0) return next;
            }
        }
    }
}
