using Edge.Agent.Kiosk;
using Edge.Agent.Kiosk.Festivals;
using Edge.Agent.Kiosk.Simulation;
using Edge.Models.Imaging;
using Edge.Models.Ocr;
using Edge.Models.Text;
using Xunit.Abstractions;

namespace Edge.Agent.Tests.Kiosk;

/// <summary>One OCR engine for every kiosk scenario (loading it takes seconds).</summary>
public sealed class KioskOcrFixture : IDisposable
{
    public OcrEngine Ocr { get; } = OcrEngine.Load(OcrModelSet.Default);

    public void Dispose() => Ocr.Dispose();
}

/// <summary>
/// The kiosk end to end on the simulators, in virtual time: HC-SR04 echo, ST7789 emulator, ESC/POS interpreter,
/// scripted guests holding rendered cards, and the real OCR reading them.
/// </summary>
public sealed class KioskScenarioTests(KioskOcrFixture fixture, ITestOutputHelper output) : IClassFixture<KioskOcrFixture>, IDisposable
{
    // 17 February 2026 is the first day of the lunar year: the Spring Festival.
    private static readonly DateOnly SpringFestival2026 = new(2026, 2, 17);
    private static readonly ScriptedGuest Bruce = new("李小龙", ["李小龙"]);
    private static readonly ScriptedGuest Alice = new("Alice Smith", ["Alice Smith"]);
    private static readonly ScriptedGuest Wish = new("身体健康", ["身体健康"], Style: FontStyle.Kai);

    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("edge-kiosk-test-");
    private readonly List<KioskSimulator> _sims = [];

    public void Dispose()
    {
        foreach (var sim in _sims) sim.Dispose();
        _state.Delete(recursive: true);
    }

    private KioskSimulator Simulate(int? quota = null)
    {
        var options = new KioskOptions { StateDirectory = _state.FullName, DailyQuota = quota, Display = KioskDisplayKind.St7789 };
        var sim = new KioskSimulator(options, new OcrCardReader(fixture.Ocr), SpringFestival2026);
        _sims.Add(sim);
        return sim;
    }

    private string ReadBack(Bitmap1 page)
    {
        using var gray = new ImageBuffer(page.Width, page.Height, PixelFormat.Gray8);
        page.ToGray8(gray);
        using var rgb = new ImageBuffer();
        ImageOps.ConvertFormat(gray, rgb, PixelFormat.Rgb24);
        string text = fixture.Ocr.Read(rgb).Text;
        output.WriteLine($"read back: {text.Replace('\n', '|')}");
        return OcrAccuracy.Normalize(text);
    }

    private static void AssertInOrder(IReadOnlyList<KioskState> visited, params KioskState[] expected)
    {
        int at = 0;
        foreach (var state in visited)
            if (at < expected.Length && state == expected[at]) at++;
        Assert.True(at == expected.Length, $"expected the states {string.Join(" → ", expected)} in order, visited {string.Join(" → ", visited)}");
    }

    private static IEnumerable<KioskScreenKind> Kinds(KioskSimulator sim) => sim.Screens.Select(s => s.Kind);

    [Fact]
    public void A_guest_who_stays_gets_a_card_that_our_OCR_reads_back_with_their_name_and_the_blessing()
    {
        var sim = Simulate();
        sim.Run([Bruce]);

        AssertInOrder(sim.States, KioskState.Attract, KioskState.Presence, KioskState.Capture, KioskState.Read, KioskState.Preview,
            KioskState.Print, KioskState.ThankYou, KioskState.CoolDown, KioskState.Attract);
        Assert.Equal([KioskScreenKind.Attract, KioskScreenKind.Reading, KioskScreenKind.Preview, KioskScreenKind.Printing, KioskScreenKind.ThankYou, KioskScreenKind.Attract],
            Kinds(sim).Distinct().Concat([KioskScreenKind.Attract]).ToArray());
        Assert.Equal([3, 2, 1], sim.Screens.Where(s => s.Kind == KioskScreenKind.Preview).Select(s => s.Countdown!.Value));

        var report = Assert.Single(sim.Reports);
        Assert.Equal(GuestOutcome.CardPrinted, report.Outcome);
        Assert.Equal(FestivalCalendar.SpringFestival, report.Festival);
        Assert.Equal("致 李小龙", report.CardLine);
        output.WriteLine($"presence to card out {report.Times!.PresenceToCardMs:0} ms (OCR {report.Times.OcrMs:0} ms)");
        Assert.InRange(report.Times.PresenceToCardMs, 0, 2000);

        var page = Assert.Single(sim.Printer.Pages);
        Assert.False(page.Truncated);
        Assert.Equal(384, page.Bitmap.Width);
        string read = ReadBack(page.Bitmap);
        Assert.Contains("李小龙", read);
        Assert.Contains(OcrAccuracy.Normalize(FestivalCalendar.SpringFestival.Blessings[0].Chinese), read);

        var day = sim.Kiosk.Snapshot().Today;
        Assert.Equal((1, 1, 1, 0), (day.CardsPrinted, day.OcrCalls, day.Guests, day.Faults));
        Assert.Equal(0, sim.Kiosk.Queue.Count);
        Assert.Empty(sim.Alerts);
        Assert.Empty(sim.Printer.Violations);
    }

    [Fact]
    public void Two_guests_in_a_row_each_get_their_own_card()
    {
        var sim = Simulate();
        sim.Run([Alice, Wish]);

        Assert.Equal([GuestOutcome.CardPrinted, GuestOutcome.CardPrinted], sim.Reports.Select(r => r.Outcome));
        Assert.Equal(["Dear Alice Smith", "「身体健康」"], sim.Reports.Select(r => r.CardLine));
        Assert.Equal(2, sim.Printer.Pages.Count(p => !p.Truncated));
        Assert.Equal(2, sim.States.Count(s => s == KioskState.ThankYou));
        Assert.Equal(2, sim.Screens.Count(s => s.Kind == KioskScreenKind.ThankYou));
        Assert.Contains("AliceSmith", ReadBack(sim.Printer.Pages[0].Bitmap));
        var day = sim.Kiosk.Snapshot().Today;
        Assert.Equal((2, 2, 2), (day.CardsPrinted, day.OcrCalls, day.Guests));
    }

    [Fact]
    public void A_guest_who_walks_away_during_the_preview_gets_no_card_and_the_kiosk_goes_back_to_its_attract_screen()
    {
        var sim = Simulate();
        sim.Run([Bruce with { Behaviour = GuestBehaviour.WalksAwayDuringPreview }]);

        Assert.Equal(GuestOutcome.WalkedAway, Assert.Single(sim.Reports).Outcome);
        AssertInOrder(sim.States, KioskState.Capture, KioskState.Read, KioskState.Preview, KioskState.Attract);
        Assert.DoesNotContain(KioskState.Print, sim.States);
        Assert.DoesNotContain(KioskScreenKind.Printing, Kinds(sim));
        Assert.Equal(KioskScreenKind.Attract, sim.Screens[^1].Kind);
        Assert.Empty(sim.Printer.Pages);
        Assert.Equal(0, sim.Kiosk.Queue.Count);
        var day = sim.Kiosk.Snapshot().Today;
        Assert.Equal((0, 1, 1), (day.CardsPrinted, day.OcrCalls, day.WalkAways));
    }

    [Fact]
    public void A_passer_by_with_fewer_close_readings_than_needed_starts_nothing()
    {
        var sim = Simulate();
        sim.Run([Bruce with { Behaviour = GuestBehaviour.PassesBy }]);

        Assert.Equal(GuestOutcome.PassedBy, Assert.Single(sim.Reports).Outcome);
        Assert.Contains(KioskState.Presence, sim.States);
        Assert.DoesNotContain(KioskState.Capture, sim.States);
        Assert.Equal([KioskScreenKind.Attract], Kinds(sim).Distinct());
        Assert.Equal((0, 0), (sim.Kiosk.Snapshot().Today.OcrCalls, sim.Kiosk.Snapshot().Today.Guests));
    }

    [Fact]
    public void Paper_running_out_mid_card_raises_an_alert_and_the_card_is_reprinted_in_full_once_paper_is_loaded()
    {
        var sim = Simulate();
        sim.Run([Bruce with { Fault = PrinterFault.PaperRunsOutMidCard }]);

        var pages = sim.Printer.Pages;
        Assert.Equal(2, pages.Count);
        Assert.True(pages[0].Truncated, "the first page is the card cut short");
        Assert.False(pages[1].Truncated);
        Assert.True(pages[1].Bitmap.Height > pages[0].Bitmap.Height);
        Assert.Contains("李小龙", ReadBack(pages[1].Bitmap));

        Assert.Equal(["paper-out", "printer-ready"], sim.Alerts.Select(a => a.Kind));
        Assert.Equal(1, sim.Alerts[0].PendingJobs);
        Assert.Contains(KioskScreen.PaperOut, sim.Screens);
        AssertInOrder(sim.States, KioskState.Print, KioskState.PrinterWait, KioskState.Print, KioskState.ThankYou);
        var report = Assert.Single(sim.Reports);
        Assert.Equal(GuestOutcome.CardPrinted, report.Outcome);
        Assert.True(report.Times!.PrinterWaitMs >= sim.FaultFixedAfter.TotalMilliseconds);
        var day = sim.Kiosk.Snapshot().Today;
        Assert.Equal((1, 1), (day.CardsPrinted, day.Faults));
        Assert.Equal(0, sim.Kiosk.Queue.Count); // nothing lost, nothing left
    }

    [Fact]
    public void An_offline_printer_keeps_the_card_and_prints_it_once_back()
    {
        var sim = Simulate();
        sim.Run([Alice with { Fault = PrinterFault.Offline }]);

        Assert.Equal(["printer-offline", "printer-ready"], sim.Alerts.Select(a => a.Kind));
        Assert.Contains(KioskScreen.PrinterOffline, sim.Screens);
        var page = Assert.Single(sim.Printer.Pages);
        Assert.False(page.Truncated);
        Assert.True(sim.Printer.BytesIgnoredWhileOffline > 0, "the status queries went to a printer that was off");
        Assert.Equal(GuestOutcome.CardPrinted, Assert.Single(sim.Reports).Outcome);
        Assert.Equal(0, sim.Kiosk.Queue.Count);
        Assert.Equal(1, sim.Kiosk.Snapshot().Today.Faults);
    }

    [Fact]
    public void A_card_waiting_for_an_offline_printer_survives_a_restart_and_the_new_kiosk_prints_it()
    {
        var sim = Simulate();
        sim.FaultFixedAfter = TimeSpan.FromHours(10); // nobody comes to fix it before the restart
        sim.Enqueue([Bruce with { Fault = PrinterFault.Offline }]);
        sim.StepUntil(() => sim.Kiosk.State == KioskState.PrinterWait);
        Assert.Equal(1, sim.Kiosk.Queue.Count);
        Assert.Empty(sim.Printer.Pages);

        sim.Restart(); // the agent is killed and started again over the same state directory
        sim.Printer.Offline = false;
        sim.StepUntil(() => sim.Kiosk.Queue.Count == 0 && sim.Kiosk.State == KioskState.Attract);

        var page = Assert.Single(sim.Printer.Pages);
        Assert.False(page.Truncated);
        Assert.Contains("李小龙", ReadBack(page.Bitmap));
        Assert.Equal(1, sim.Kiosk.Snapshot().Today.CardsPrinted);
    }

    [Fact]
    public void When_the_daily_quota_is_reached_the_screen_says_so_and_nothing_more_is_captured_or_printed()
    {
        var sim = Simulate(quota: 1);
        sim.Run([Bruce, Alice]);

        Assert.Equal([GuestOutcome.CardPrinted, GuestOutcome.TurnedAway], sim.Reports.Select(r => r.Outcome));
        Assert.Single(sim.Printer.Pages);
        Assert.Equal(KioskState.QuotaReached, sim.Kiosk.State);
        var screen = sim.Screens[^1];
        Assert.Equal(KioskScreenKind.QuotaReached, screen.Kind);
        Assert.Equal("Today's cards are all given out — see you tomorrow", screen.English);
        Assert.Equal("今天的祝福卡已全部送出，明天见！", screen.Chinese);
        Assert.Equal(1, sim.States.Count(s => s == KioskState.Capture));
        Assert.Contains(sim.Alerts, a => a.Kind == "quota-reached");
        var usage = sim.Kiosk.Snapshot();
        Assert.Equal((1, 1, 1), (usage.Today.CardsPrinted, usage.Today.OcrCalls, usage.Today.TurnedAway));
        Assert.True(usage.QuotaReached);
        Assert.Equal(0, usage.CardsLeftToday);
    }
}
