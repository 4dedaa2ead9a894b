using Edge.Agent.Kiosk.Cards;
using Edge.Agent.Kiosk.Festivals;
using Edge.Models.Imaging;
using Edge.Models.Ocr;
using Xunit.Abstractions;

namespace Edge.Agent.Tests.Kiosk;

/// <summary>One OCR engine and one renderer for every card test; rendered cards land in a temp folder for a person to look at.</summary>
public sealed class CardFixture : IDisposable
{
    public OcrEngine Ocr { get; } = OcrEngine.Load(OcrModelSet.Default);
    public BlessingCardRenderer Renderer { get; } = new();
    public string Folder { get; } = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "edge-blessing-cards")).FullName;

    public void Save(ImageBuffer image, string name) => File.WriteAllBytes(Path.Combine(Folder, name + ".png"), PngCodec.Encode(image));

    public void Dispose()
    {
        Ocr.Dispose();
        Renderer.Dispose();
    }
}

public class BlessingCardTests(CardFixture cards, ITestOutputHelper output) : IClassFixture<CardFixture>
{
    private static readonly DateOnly MidAutumn2025 = new(2025, 10, 6);

    private static Festival F(string id) => FestivalCalendar.ById(id)!;

    /// <summary>The smallest edit distance between <paramref name="needle"/> and any substring of <paramref name="haystack"/>.</summary>
    private static int SubstringDistance(string needle, string haystack)
    {
        var previous = new int[haystack.Length + 1];   // a match may start anywhere: row 0 is all zeros
        var current = new int[haystack.Length + 1];
        for (int i = 1; i <= needle.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= haystack.Length; j++)
            {
                int substitute = previous[j - 1] + (char.ToLowerInvariant(needle[i - 1]) == char.ToLowerInvariant(haystack[j - 1]) ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous.Min();
    }

    private OcrResult ReadBack(ImageBuffer card)
    {
        using var rgb = new ImageBuffer();
        ImageOps.ConvertFormat(card, rgb, PixelFormat.Rgb24);
        var result = cards.Ocr.Read(rgb);
        output.WriteLine(string.Join(" | ", result.Lines.Select(l => $"{l.Text}{(l.Vertical ? " (v)" : "")}")));
        return result;
    }

    public static TheoryData<string, string, int, int, string> Guests => new()
    {
        { "mid-autumn", "张伟", 0, BlessingCardRenderer.Dots58mm, "张伟" },
        { "spring-festival", "李小龙", 1, BlessingCardRenderer.Dots58mm, "李小龙" },
        { "dragon-boat", "Alice Smith", 0, BlessingCardRenderer.Dots80mm, "Alice Smith" },
        { "christmas", "Maria Garcia", 1, BlessingCardRenderer.Dots58mm, "Maria Garcia" },
        { "double-ninth", "王 芳\n", 1, BlessingCardRenderer.Dots80mm, "王芳" },
        { "qixi", "愿有情人终成眷属", 2, BlessingCardRenderer.Dots58mm, "愿有情人终成眷属" },
    };

    [Theory]
    [MemberData(nameof(Guests))]
    public void A_printed_card_read_back_by_our_OCR_contains_the_guests_name_and_the_blessing(string festivalId, string recognised, int phrase, int width, string expectedGuest)
    {
        var festival = F(festivalId);
        var card = BlessingCard.For(festival, recognised, MidAutumn2025, festival.Blessings[phrase]);
        using var image = cards.Renderer.RenderPrint(card, width);
        cards.Save(image, $"{festivalId}-{width}");

        var read = OcrAccuracy.Normalize(ReadBack(image).Text);
        string guest = OcrAccuracy.Normalize(expectedGuest), blessing = OcrAccuracy.Normalize(card.Blessing.Chinese);
        int guestErrors = SubstringDistance(guest, read), blessingErrors = SubstringDistance(blessing, read);
        Assert.True(guestErrors <= guest.Length / 8, $"'{expectedGuest}' not found ({guestErrors} edits) in: {read}");
        Assert.True(blessingErrors == 0, $"'{card.Blessing.Chinese}' not found ({blessingErrors} edits) in: {read}");
    }

    [Fact]
    public void The_Spring_Festival_couplet_columns_are_each_read_as_a_vertical_line()
    {
        var festival = FestivalCalendar.SpringFestival;
        var couplet = festival.Design.Couplet!;
        var card = BlessingCard.For(festival, "Chen Jing", new DateOnly(2026, 2, 17));
        using var image = cards.Renderer.RenderPrint(card, BlessingCardRenderer.Dots80mm);
        cards.Save(image, "spring-festival-576-latin");

        var result = ReadBack(image);
        var vertical = result.Lines.Where(l => l.Vertical).Select(l => OcrAccuracy.Normalize(l.Text)).ToList();
        Assert.Contains(couplet.Upper, vertical);
        Assert.Contains(couplet.Lower, vertical);
        var text = OcrAccuracy.Normalize(result.Text);
        Assert.True(SubstringDistance("ChenJing", text) <= 1, text);
        Assert.Contains(OcrAccuracy.Normalize(card.Blessing.Chinese), text);
    }

    [Fact]
    public void A_card_without_a_usable_name_carries_the_blessing_and_no_stray_text()
    {
        var card = BlessingCard.For(FestivalCalendar.Everyday, "#@%^&*~|", new DateOnly(2025, 3, 12));
        Assert.Equal(GuestTextKind.None, card.Guest.Kind);
        using var image = cards.Renderer.RenderPrint(card);
        cards.Save(image, "everyday-384-garbage");

        var text = OcrAccuracy.Normalize(ReadBack(image).Text);
        Assert.Contains(card.Blessing.Chinese, text);
        Assert.DoesNotContain("Dear", text);
        Assert.DoesNotContain("致", text);
    }

    [Theory]
    [InlineData(BlessingCardRenderer.Dots58mm)]
    [InlineData(BlessingCardRenderer.Dots80mm)]
    public void Print_cards_are_gray8_at_the_paper_width_and_about_six_fifths_as_tall(int width)
    {
        foreach (var festival in FestivalCalendar.All.Append(FestivalCalendar.Everyday))
        {
            using var image = cards.Renderer.RenderPrint(BlessingCard.For(festival, "张伟", MidAutumn2025), width);
            Assert.Equal(PixelFormat.Gray8, image.Format);
            Assert.Equal(width, image.Width);
            Assert.InRange(image.Height, (int)(width * 1.2), width * 2);
        }
    }

    [Fact]
    public void Print_cards_are_black_and_white_with_gray_only_at_glyph_edges()
    {
        foreach (var festival in FestivalCalendar.All.Append(FestivalCalendar.Everyday))
        {
            using var image = cards.Renderer.RenderPrint(BlessingCard.For(festival, "Alice Smith", MidAutumn2025));
            int gray = 0, black = 0;
            for (int y = 0; y < image.Height; y++)
                foreach (byte v in image.Row(y))
                {
                    if (v is > 48 and < 208) gray++;
                    else if (v <= 48) black++;
                }
            double total = image.Width * image.Height;
            Assert.True(gray / total < 0.03, $"{festival.Id}: {gray / total:P1} of the card is mid-gray, which dithers into noise");
            Assert.InRange(black / total, 0.04, 0.45);
        }
    }

    [Theory]
    [InlineData(240, 240)]
    [InlineData(240, 320)]
    public void The_preview_fills_the_display_in_the_festivals_colours(int width, int height)
    {
        var festival = FestivalCalendar.MidAutumn;
        using var preview = cards.Renderer.RenderPreview(BlessingCard.For(festival, "张伟", MidAutumn2025), width, height);
        cards.Save(preview, $"preview-mid-autumn-{width}x{height}");
        Assert.Equal(PixelFormat.Rgb24, preview.Format);
        Assert.Equal((width, height), (preview.Width, preview.Height));
        var paper = festival.Design.Palette.Paper;
        var corner = preview.Row(0)[..3].ToArray();
        Assert.Equal(new byte[] { paper.R, paper.G, paper.B }, corner);
        var ink = festival.Design.Palette.Ink;
        int inked = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var p = preview.Row(y).Slice(x * 3, 3);
                if (Math.Abs(p[0] - ink.R) + Math.Abs(p[1] - ink.G) + Math.Abs(p[2] - ink.B) < 60) inked++;
            }
        Assert.True(inked > width * height / 100, $"only {inked} pixels in the ink colour");
    }

    [Fact]
    public void A_spring_festival_preview_is_saved_for_a_person_to_look_at()
    {
        using var preview = cards.Renderer.RenderPreview(BlessingCard.For(FestivalCalendar.SpringFestival, "李小龙", new DateOnly(2026, 2, 17)), 240, 320, BlessingCardRenderer.Dots80mm);
        cards.Save(preview, "preview-spring-festival-240x320");
        Assert.Equal(320, preview.Height);
        output.WriteLine($"cards written to {cards.Folder}");
    }

    [Theory]
    [InlineData("张伟", GuestTextKind.Name, "张伟")]
    [InlineData(" 张 伟\n", GuestTextKind.Name, "张伟")]
    [InlineData("Alice  Smith", GuestTextKind.Name, "Alice Smith")]
    [InlineData("Alice\nSmith", GuestTextKind.Name, "Alice Smith")]
    [InlineData("欧阳娜娜", GuestTextKind.Name, "欧阳娜娜")]
    [InlineData("身体健康", GuestTextKind.Wish, "身体健康")]
    [InlineData("李小龙", GuestTextKind.Name, "李小龙")]
    [InlineData("祝你新年快乐，身体健康", GuestTextKind.Wish, "祝你新年快乐，身体健康")]
    [InlineData("I wish my family good health", GuestTextKind.Wish, "I wish my family good health")]
    [InlineData("", GuestTextKind.None, "")]
    [InlineData("   ", GuestTextKind.None, "")]
    [InlineData("#@%^&*~|", GuestTextKind.None, "")]
    [InlineData("x", GuestTextKind.None, "")]
    [InlineData("|||--//\\\\==1", GuestTextKind.None, "")]
    public void Recognised_text_is_cleaned_and_classified(string recognised, GuestTextKind kind, string text)
    {
        var guest = GuestText.From(recognised);
        Assert.Equal(kind, guest.Kind);
        Assert.Equal(text, guest.Text);
    }

    [Fact]
    public void A_very_long_wish_is_shortened_with_an_ellipsis()
    {
        var guest = GuestText.From(string.Concat(Enumerable.Repeat("万事如意心想事成", 10)));
        Assert.Equal(GuestTextKind.Wish, guest.Kind);
        Assert.Equal(36, guest.Text.Length);
        Assert.EndsWith("…", guest.Text);
    }

    [Fact]
    public void The_date_line_has_the_gregorian_and_the_lunar_date()
    {
        var card = BlessingCard.For(FestivalCalendar.MidAutumn, null, MidAutumn2025);
        Assert.Equal("2025年10月6日  乙巳年 八月十五", card.DateLine);
        Assert.Equal(GuestTextKind.None, card.Guest.Kind);
    }

    [Fact]
    public void Only_58_and_80_mm_paper_widths_are_accepted()
    {
        var card = BlessingCard.For(FestivalCalendar.Christmas, "Bob", new DateOnly(2025, 12, 25));
        Assert.Throws<ArgumentOutOfRangeException>(() => cards.Renderer.RenderPrint(card, 500));
    }
}
