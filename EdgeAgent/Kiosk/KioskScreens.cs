using Edge.Agent.Devices.Ssd1306;
using Edge.Agent.Kiosk.Cards;
using Edge.Agent.Kiosk.Festivals;
using Edge.Models.Imaging;
using Edge.Models.Text;
using St7789Panel = Edge.Agent.Devices.St7789.St7789;

namespace Edge.Agent.Kiosk;

/// <summary>What a kiosk screen is for.</summary>
public enum KioskScreenKind { Attract, Reading, Preview, Printing, ThankYou, PaperOut, CoverOpen, PrinterOffline, QuotaReached }

/// <summary>One screen: its purpose, the message in Chinese and English, and the preview's seconds left.</summary>
public sealed record KioskScreen(KioskScreenKind Kind, string Title, string Chinese, string English, int? Countdown = null)
{
    public static KioskScreen Attract(Festival f) => new(KioskScreenKind.Attract, f.ChineseName, "请出示您的名字或心愿卡", $"{f.EnglishName}: show us your name or a wish");
    public static KioskScreen Reading(Festival f) => new(KioskScreenKind.Reading, f.ChineseName, "正在读取您的卡片…", "Reading your card…");
    public static KioskScreen Preview(Festival f, int seconds) => new(KioskScreenKind.Preview, f.ChineseName, $"{seconds} 秒后打印", $"Printing in {seconds}…", seconds);
    public static KioskScreen Printing(Festival f) => new(KioskScreenKind.Printing, f.ChineseName, "正在打印您的祝福卡…", "Printing your card…");
    public static KioskScreen ThankYou(Festival f) => new(KioskScreenKind.ThankYou, "谢谢！", $"祝您{f.ChineseName}快乐", $"Thank you! Happy {f.EnglishName}");
    public static KioskScreen PaperOut { get; } = new(KioskScreenKind.PaperOut, "请稍候", "打印纸用完了，工作人员马上就来。您的卡片已保存。", "Out of paper: staff are on their way. Your card is kept and will print.");
    public static KioskScreen CoverOpen { get; } = new(KioskScreenKind.CoverOpen, "请稍候", "打印机盖子开着。盖好后您的卡片就会打印。", "The printer cover is open. Your card prints once it is closed.");
    public static KioskScreen PrinterOffline { get; } = new(KioskScreenKind.PrinterOffline, "请稍候", "打印机暂时离线。您的卡片已保存，稍后打印。", "The printer is offline. Your card is saved and will print shortly.");
    public static KioskScreen QuotaReached { get; } = new(KioskScreenKind.QuotaReached, "明天见！", "今天的祝福卡已全部送出，明天见！", "Today's cards are all given out — see you tomorrow");

    public bool IsFault => Kind is KioskScreenKind.PaperOut or KioskScreenKind.CoverOpen or KioskScreenKind.PrinterOffline;
}

/// <summary>Draws kiosk screens as Rgb24 frames for any display size: the festival's colours on a colour panel, light on dark on a one-colour one.</summary>
public sealed class KioskScreenRenderer(TextRenderer fonts, BlessingCardRenderer cards)
{
    private static readonly CardColour FaultPaper = new(48, 24, 20), FaultInk = new(255, 244, 230), FaultAccent = new(255, 190, 60);
    private static readonly CardColour Black = new(0, 0, 0), White = new(255, 255, 255);

    /// <summary>The card as the preview screen shows it, in the festival's colours (render once per guest).</summary>
    public ImageBuffer RenderPreview(BlessingCard card, int width, int height, int paperWidthDots) => cards.RenderPreview(card, width, height, paperWidthDots);

    /// <summary>The frame for <paramref name="screen"/>; the preview screen shows <paramref name="preview"/> (from <see cref="RenderPreview"/>) with the countdown over it.</summary>
    public ImageBuffer Render(KioskScreen screen, Festival festival, ImageBuffer? preview, int width, int height, bool monochrome)
    {
        var frame = new ImageBuffer(width, height, PixelFormat.Rgb24);
        var palette = festival.Design.Palette;
        var (paper, ink, accent) = monochrome ? (Black, White, White)
            : screen.IsFault || screen.Kind == KioskScreenKind.QuotaReached ? (FaultPaper, FaultInk, FaultAccent)
            : (palette.Paper, palette.Ink, palette.Accent);

        if (screen.Kind == KioskScreenKind.Preview && preview is not null && !monochrome)
        {
            preview.Data.CopyTo(frame.Data);
            int r = Math.Max(12, width / 9), cx = width - r - 4, cy = height - r - 4;
            Shapes.FillCircle(frame, cx, cy, r, accent);
            Centre(frame, screen.Countdown?.ToString() ?? "", cx - r, cy - r, 2 * r, 2 * r, r * 3 / 2, FontStyle.Sans, paper);
            return frame;
        }

        Shapes.FillRect(frame, 0, 0, width, height, paper);
        int margin = Math.Max(2, width / 24);
        if (!monochrome) Shapes.StrokeRect(frame, margin / 2, margin / 2, width - margin, height - margin, Math.Max(1, width / 80), accent);
        int inner = width - 2 * margin;
        // Title a third of the height, Chinese and English below it.
        int titleH = height * 3 / 10, zhH = height * 3 / 10, enH = height - titleH - zhH - 2 * margin;
        var titleStyle = screen.IsFault || monochrome ? FontStyle.Sans : festival.Design.TitleStyle;
        Centre(frame, screen.Kind == KioskScreenKind.Preview ? $"{screen.Countdown}" : screen.Title, margin, margin, inner, titleH, titleH * 4 / 5, titleStyle, accent);
        Centre(frame, screen.Chinese, margin, margin + titleH, inner, zhH, Math.Max(10, height / 9), FontStyle.Sans, ink);
        Centre(frame, screen.English, margin, margin + titleH + zhH, inner, enH, Math.Max(9, height / 12), FontStyle.Sans, ink);
        return frame;
    }

    private void Centre(ImageBuffer frame, string text, int x, int y, int w, int h, int maxSize, FontStyle style, CardColour colour)
    {
        if (text.Length == 0 || w <= 0 || h <= 0) return;
        var block = TextLayout.Layout(fonts, text, w, h, new TextLayoutOptions
        {
            Style = style, MaxPixelSize = Math.Max(8, maxSize), MinPixelSize = 8,
            Alignment = TextAlignment.Center, BlockAlignment = TextAlignment.Center, LineSpacing = 1.1,
        });
        fonts.Draw(frame, block, x, y, colour.R, colour.G, colour.B);
    }
}

/// <summary>An ST7789 panel as the kiosk's display.</summary>
public sealed class St7789KioskDisplay(St7789Panel panel) : IKioskDisplay
{
    public int Width => panel.Width;
    public int Height => panel.Height;
    public bool Monochrome => false;
    public void Show(ImageBuffer frame) => panel.Show(frame);
}

/// <summary>A 128×64 SSD1306 OLED as the kiosk's display: text only, lit where the frame is bright.</summary>
public sealed class Ssd1306KioskDisplay(Ssd1306 oled) : IKioskDisplay
{
    public int Width => Ssd1306.Width;
    public int Height => Ssd1306.Height;
    public bool Monochrome => true;
    public void Show(ImageBuffer frame) => oled.Show(frame);
}

/// <summary>No screen: the kiosk runs on the sensor and the printer alone.</summary>
public sealed class NoKioskDisplay : IKioskDisplay
{
    public int Width => 240;
    public int Height => 240;
    public bool Monochrome => false;
    public void Show(ImageBuffer frame) { }
}
