using System.Diagnostics;
using Edge.Agent.Devices;
using Edge.Agent.Devices.EscPos;
using Edge.Agent.Kiosk.Cards;
using Edge.Agent.Kiosk.Festivals;
using Edge.Models.Imaging;
using Edge.Models.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Agent.Kiosk;

/// <summary>Where the kiosk is in serving a guest.</summary>
public enum KioskState { Attract, Presence, Capture, Read, Preview, Print, PrinterWait, ThankYou, CoolDown, QuotaReached }

/// <summary>How a guest's visit ended.</summary>
public enum GuestOutcome { CardPrinted, WalkedAway, PassedBy, TurnedAway }

/// <summary>
/// Where the time went from presence to card out, in milliseconds. Compute stages are measured with a Stopwatch;
/// <see cref="PrinterWaitMs"/> is time spent waiting for a printer fault to clear. <see cref="PresenceToCardMs"/>
/// runs from the last of the close readings to the printer reporting the card complete, without the preview countdown.
/// </summary>
public sealed record KioskStageTimes(double CaptureMs, double OcrMs, double RenderMs, double DitherMs, double PrintMs, double PrinterWaitMs, double PresenceToCardMs);

/// <summary>One guest's visit.</summary>
public sealed record GuestReport(int Number, GuestOutcome Outcome, string Recognised, string CardLine, Festival Festival, KioskStageTimes? Times);

/// <summary>The devices and services a <see cref="Kiosk"/> drives.</summary>
public sealed record KioskParts(IPresenceSensor Presence, ICardCamera Camera, ICardReader Reader, IKioskDisplay Display,
    ICardPrinter Printer, IKioskAlerts Alerts, IKioskClock Clock);

/// <summary>
/// The festival kiosk: attract screen → presence (N close readings) → capture → read → preview (countdown) → print →
/// thank you → cool-down. Every card is stored in the <see cref="PrintQueue"/> before it is sent and removed only
/// when the printer reports it complete; paper out and an open cover put a message on screen, raise an alert and
/// wait (polling the printer's status), an offline printer is retried with backoff, and a card cut short by the
/// paper running out is printed again in full. A <see cref="UsageLedger"/> counts cards and OCR calls per local day
/// and enforces the optional daily quota. Single-threaded: <see cref="Step"/> does one state's work and every wait
/// goes through <see cref="IKioskClock"/>, so the simulator runs it in virtual time.
/// </summary>
public sealed class Kiosk : IDisposable
{
    private readonly KioskOptions _options;
    private readonly KioskParts _parts;
    private readonly IKioskClock _clock;
    private readonly ILogger _logger;
    private readonly TextRenderer _fonts;
    private readonly BlessingCardRenderer _cards;
    private readonly KioskScreenRenderer _screens;
    private readonly bool _ownsFonts;

    private KioskScreen? _lastScreen;
    private bool _started;
    private DateOnly? _quotaAlerted;
    private bool _armed;
    private int _closeReadings, _awayReadings, _guestNumber;
    private long _untilNs;

    // The guest being served.
    private long _presenceNs, _previewStartNs, _countdownNs, _printerWaitNs;
    private double _captureMs, _ocrMs, _renderMs, _ditherMs;
    private ImageBuffer? _photo, _preview;
    private string _recognised = "";
    private BlessingCard? _card;
    private Bitmap1? _dots;
    private long? _guestJobId;
    private Festival _festival;

    // The printer.
    private string? _fault;
    private long _faultSinceNs;
    private TimeSpan _retryDelay;

    public Kiosk(KioskOptions options, KioskParts parts, TextRenderer? fonts = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(parts);
        options.Validate();
        _options = options;
        _parts = parts;
        _clock = parts.Clock;
        _logger = logger ?? NullLogger.Instance;
        _ownsFonts = fonts is null;
        _fonts = fonts ?? new TextRenderer();
        _cards = new BlessingCardRenderer(_fonts);
        _screens = new KioskScreenRenderer(_fonts, _cards);
        Queue = PrintQueue.Open(options.StateDirectory);
        try
        {
            Ledger = UsageLedger.Open(options.StateDirectory, options.DailyQuota);
        }
        catch
        {
            Queue.Dispose();
            throw;
        }
        _festival = CurrentFestival();
    }

    public KioskOptions Options => _options;
    public KioskState State { get; private set; }
    public PrintQueue Queue { get; }
    public UsageLedger Ledger { get; }
    /// <summary>The screen shown last.</summary>
    public KioskScreen? Screen => _lastScreen;
    /// <summary>The printer problem being waited out ("paper out", "cover open", "printer offline"), or null.</summary>
    public string? PrinterProblem => _fault;
    public DateOnly Today => DateOnly.FromDateTime(_clock.LocalNow.DateTime);

    /// <summary>Raised on every state change, with the new state.</summary>
    public event Action<KioskState>? StateChanged;
    /// <summary>Raised when the display shows a new screen, with the frame sent to it (valid during the call).</summary>
    public event Action<KioskScreen, ImageBuffer?>? ScreenShown;
    /// <summary>Raised when a guest's visit ends.</summary>
    public event Action<GuestReport>? GuestFinished;

    /// <summary>Usage for telemetry: today's ledger, the quota, and cards still waiting for the printer.</summary>
    public UsageSnapshot Snapshot() => Ledger.Snapshot(Today, Queue.Count);

    /// <summary>
    /// Runs until <paramref name="ct"/> is cancelled; a failing step is logged and the kiosk starts over at the attract
    /// screen. A step in progress finishes (a card being printed is printed or stays queued). <paramref name="betweenSteps"/>
    /// runs on this thread before each step (the agent retries missing devices and samples the counts there).
    /// </summary>
    public void Run(CancellationToken ct, Action? betweenSteps = null)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                betweenSteps?.Invoke();
                Step(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "kiosk step in state {State} failed; back to the attract screen", State);
                Wait(_options.PollInterval, ct);
                ForgetGuest();
                Enter(KioskState.Attract);
            }
        }
    }

    /// <summary>Does one piece of the current state's work (one sensor reading, one stage, one printer try) and moves on.</summary>
    public void Step(CancellationToken ct = default)
    {
        if (!_started)
        {
            // Subscribers attached after construction see the first screen too.
            _started = true;
            Enter(KioskState.Attract);
            return;
        }
        switch (State)
        {
            case KioskState.Attract: StepAttract(ct); break;
            case KioskState.Presence: StepPresence(ct); break;
            case KioskState.Capture: StepCapture(ct); break;
            case KioskState.Read: StepRead(); break;
            case KioskState.Preview: StepPreview(ct); break;
            case KioskState.Print: StepPrint(); break;
            case KioskState.PrinterWait: StepPrinterWait(ct); break;
            case KioskState.ThankYou:
                _clock.WaitUntil(_untilNs, ct);
                Enter(KioskState.CoolDown);
                break;
            case KioskState.CoolDown:
                _clock.WaitUntil(_untilNs, ct);
                _armed = false; // the guest who just left must be gone before anyone is served again
                Enter(KioskState.Attract);
                break;
            case KioskState.QuotaReached: StepQuotaReached(ct); break;
        }
    }

    // ---- states ----

    private void Enter(KioskState state)
    {
        State = state;
        switch (state)
        {
            case KioskState.Attract:
                _closeReadings = 0;
                _festival = CurrentFestival();
                if (Ledger.QuotaReached(Today, Queue.Count) && Queue.Count == 0) { Enter(KioskState.QuotaReached); return; }
                Show(KioskScreen.Attract(_festival));
                break;
            case KioskState.Capture:
                Show(KioskScreen.Reading(_festival));
                break;
            case KioskState.Preview:
                _previewStartNs = _clock.NowNs;
                _untilNs = _previewStartNs + Ns(_options.PreviewCountdown);
                _awayReadings = 0;
                break;
            case KioskState.Print:
                Show(KioskScreen.Printing(_festival));
                break;
            case KioskState.ThankYou:
                Show(KioskScreen.ThankYou(_festival));
                _untilNs = _clock.NowNs + Ns(_options.ThankYouDuration);
                break;
            case KioskState.CoolDown:
                _untilNs = _clock.NowNs + Ns(_options.CoolDown);
                break;
            case KioskState.QuotaReached:
                _closeReadings = 0;
                Show(KioskScreen.QuotaReached);
                if (_quotaAlerted != Today)
                {
                    _quotaAlerted = Today;
                    _parts.Alerts.Raise(new KioskAlert("quota-reached", $"today's quota of {Ledger.DailyQuota} cards is used up", _clock.LocalNow, Queue.Count));
                }
                break;
        }
        StateChanged?.Invoke(state);
    }

    private void StepAttract(CancellationToken ct)
    {
        if (Queue.Count > 0) { Enter(KioskState.Print); return; } // cards left from before a restart or a fault
        var reading = Read();
        if (!_armed)
        {
            if (reading == Reading.Clear) _armed = true;
        }
        else if (reading == Reading.Close)
        {
            _closeReadings = 1;
            if (_closeReadings >= _options.CloseReadings) { GuestArrived(); return; }
            Enter(KioskState.Presence);
        }
        Wait(_options.PollInterval, ct);
    }

    private void StepPresence(CancellationToken ct)
    {
        if (Read() != Reading.Close)
        {
            _closeReadings = 0;
            GuestFinished?.Invoke(new GuestReport(++_guestNumber, GuestOutcome.PassedBy, "", "", _festival, null));
            Enter(KioskState.Attract);
            Wait(_options.PollInterval, ct);
            return;
        }
        if (++_closeReadings >= _options.CloseReadings) { GuestArrived(); return; }
        Wait(_options.PollInterval, ct);
    }

    private void GuestArrived()
    {
        _presenceNs = _clock.NowNs;
        _guestNumber++;
        Ledger.Record(Today, LedgerCounter.Guests);
        if (Ledger.QuotaReached(Today, Queue.Count))
        {
            Ledger.Record(Today, LedgerCounter.TurnedAway);
            _armed = false;
            Enter(KioskState.QuotaReached);
            GuestFinished?.Invoke(new GuestReport(_guestNumber, GuestOutcome.TurnedAway, "", "", _festival, null));
            return;
        }
        Enter(KioskState.Capture);
    }

    private void StepCapture(CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            _photo = _parts.Camera.Capture(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "kiosk camera failed; the card gets the general blessing");
        }
        Spend(sw);
        // From the last close reading, so the "reading your card" screen drawn on entering Capture counts too.
        _captureMs = Ms(_clock.NowNs - _presenceNs);
        Enter(KioskState.Read);
    }

    private void StepRead()
    {
        var sw = Stopwatch.StartNew();
        _recognised = "";
        if (_photo is not null)
        {
            try
            {
                _recognised = _parts.Reader.Read(_photo);
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "kiosk OCR failed; the card gets the general blessing");
            }
            Ledger.Record(Today, LedgerCounter.OcrCalls);
            _photo.Dispose();
            _photo = null;
        }
        _ocrMs = Spend(sw);

        sw.Restart();
        _card = BlessingCard.For(_festival, _recognised, Today);
        using var gray = _cards.RenderPrint(_card, _options.PaperWidthDots);
        if (ShowsFrames && !_parts.Display.Monochrome)
            _preview = _screens.RenderPreview(_card, _parts.Display.Width, _parts.Display.Height, _options.PaperWidthDots);
        _renderMs = Spend(sw);

        sw.Restart();
        _dots = Dither.ToBitmap(gray, new DitherOptions { TargetWidth = _options.PaperWidthDots });
        _ditherMs = Spend(sw);
        Enter(KioskState.Preview);
    }

    private void StepPreview(CancellationToken ct)
    {
        long now = _clock.NowNs;
        if (now >= _untilNs)
        {
            _countdownNs = now - _previewStartNs;
            var sw = Stopwatch.StartNew();
            _guestJobId = Queue.Add(_clock.LocalNow, _festival.Id, _card!.Guest.Text, _dots!);
            _printerWaitNs = 0;
            Spend(sw);
            Enter(KioskState.Print);
            return;
        }
        int seconds = (int)Math.Ceiling((_untilNs - now) / 1e9);
        Show(KioskScreen.Preview(_festival, seconds), _preview);
        var reading = Read();
        if (reading == Reading.Close) _awayReadings = 0;
        else if (reading == Reading.Clear && ++_awayReadings >= _options.AwayReadings)
        {
            Ledger.Record(Today, LedgerCounter.WalkAways);
            var report = new GuestReport(_guestNumber, GuestOutcome.WalkedAway, _recognised, _card?.Guest.CardLine ?? "", _festival, null);
            ForgetGuest();
            _armed = true; // they have gone: the next person may step up at once
            Enter(KioskState.Attract);
            GuestFinished?.Invoke(report);
            return;
        }
        _clock.WaitUntil(Math.Min(_untilNs, _clock.NowNs + Ns(_options.PollInterval)), ct);
    }

    private void StepPrint()
    {
        var job = Queue.Oldest();
        if (job is null)
        {
            ForgetGuest();
            Enter(KioskState.Attract);
            return;
        }
        var sw = Stopwatch.StartNew();
        PrintJobResult result;
        try
        {
            result = _parts.Printer.Print(job.Card);
        }
        catch (PrinterNotReadyException e)
        {
            Spend(sw);
            Queue.RecordAttempt(job.Id, e.Status.Describe() ?? "not ready");
            Fault(e.Status);
            return;
        }
        catch (DeviceException e)
        {
            Spend(sw);
            Queue.RecordAttempt(job.Id, e.Message);
            Fault(null, e.Message);
            return;
        }
        double printMs = Spend(sw);
        if (!result.Complete)
        {
            // Cut short (paper ran out mid-card): the job stays and is printed again in full once the paper is back.
            Queue.RecordAttempt(job.Id, result.Problem ?? "incomplete");
            Fault(result.After);
            return;
        }
        Queue.Remove(job.Id);
        Ledger.Record(Today, LedgerCounter.CardsPrinted);
        _logger.LogInformation("kiosk printed job {Id} ({Guest})", job.Id, job.GuestText);
        if (job.Id != _guestJobId) return; // an older card (from before a restart or a fault): the next step prints the next one

        long cardOutNs = _clock.NowNs;
        var times = new KioskStageTimes(_captureMs, _ocrMs, _renderMs, _ditherMs, printMs, Ms(_printerWaitNs),
            Ms(cardOutNs - _presenceNs - _countdownNs));
        var report = new GuestReport(_guestNumber, GuestOutcome.CardPrinted, _recognised, _card?.Guest.CardLine ?? "", _festival, times);
        ForgetGuest();
        Enter(KioskState.ThankYou);
        GuestFinished?.Invoke(report);
    }

    private void Fault(PrinterStatus? status, string? connectionProblem = null)
    {
        string problem = status is null ? "printer offline" : status.PaperOut ? "paper out" : status.CoverOpen ? "cover open" : "printer offline";
        var screen = problem switch { "paper out" => KioskScreen.PaperOut, "cover open" => KioskScreen.CoverOpen, _ => KioskScreen.PrinterOffline };
        if (_fault != problem)
        {
            if (_fault is null)
            {
                _faultSinceNs = _clock.NowNs;
                Ledger.Record(Today, LedgerCounter.Faults);
            }
            _fault = problem;
            string detail = connectionProblem ?? status?.Describe() ?? problem;
            _parts.Alerts.Raise(new KioskAlert(problem.Replace(' ', '-'),
                $"{problem}: {detail}; {Queue.Count} card(s) kept and waiting", _clock.LocalNow, Queue.Count) { Part = "printer" });
            _logger.LogWarning("kiosk printer: {Problem} ({Detail}); {Pending} card(s) waiting", problem, detail, Queue.Count);
            _retryDelay = problem == "printer offline" ? _options.OfflineRetryInitial : _options.PrinterPollInterval;
        }
        else if (problem == "printer offline")
        {
            _retryDelay = TimeSpan.FromTicks(Math.Min(_retryDelay.Ticks * 2, _options.OfflineRetryMax.Ticks));
        }
        Show(screen);
        _untilNs = _clock.NowNs + Ns(_retryDelay);
        if (State != KioskState.PrinterWait) Enter(KioskState.PrinterWait);
    }

    private void StepPrinterWait(CancellationToken ct)
    {
        _clock.WaitUntil(_untilNs, ct);
        var sw = Stopwatch.StartNew();
        PrinterStatus? status = null;
        string? connection = null;
        try
        {
            status = _parts.Printer.QueryStatus();
        }
        catch (DeviceException e)
        {
            connection = e.Message;
        }
        Spend(sw);
        if (status is { IsReady: true })
        {
            long waited = _clock.NowNs - _faultSinceNs;
            if (_guestJobId is not null) _printerWaitNs += waited;
            _parts.Alerts.Raise(new KioskAlert("printer-ready", $"printer ready again after {_fault} for {Ms(waited) / 1000:0.#} s; printing {Queue.Count} waiting card(s)",
                _clock.LocalNow, Queue.Count) { Part = "printer" });
            _fault = null;
            Enter(KioskState.Print);
            return;
        }
        Fault(status, connection);
    }

    private void StepQuotaReached(CancellationToken ct)
    {
        if (Queue.Count > 0) { Enter(KioskState.Print); return; }
        if (!Ledger.QuotaReached(Today)) { Enter(KioskState.Attract); return; } // a new day
        var reading = Read();
        if (!_armed)
        {
            if (reading == Reading.Clear) _armed = true;
        }
        else if (reading == Reading.Close && ++_closeReadings >= _options.CloseReadings)
        {
            // Someone stands at a kiosk with no cards left: the screen already says so; count them.
            _guestNumber++;
            _closeReadings = 0;
            _armed = false;
            Ledger.Record(Today, LedgerCounter.Guests);
            Ledger.Record(Today, LedgerCounter.TurnedAway);
            GuestFinished?.Invoke(new GuestReport(_guestNumber, GuestOutcome.TurnedAway, "", "", _festival, null));
        }
        else if (reading != Reading.Close) _closeReadings = 0;
        Wait(_options.PollInterval, ct);
    }

    // ---- helpers ----

    private enum Reading { Close, Between, Clear }

    private Reading Read()
    {
        bool seen = _parts.Presence.TryGetDistance(out double cm);
        return !seen || cm >= _options.AwayCentimetres ? Reading.Clear : cm <= _options.PresenceCentimetres ? Reading.Close : Reading.Between;
    }

    private bool ShowsFrames => _parts.Display is not NoKioskDisplay;

    private void Show(KioskScreen screen, ImageBuffer? preview = null)
    {
        if (screen == _lastScreen) return;
        _lastScreen = screen;
        if (!ShowsFrames)
        {
            ScreenShown?.Invoke(screen, null);
            return;
        }
        var display = _parts.Display;
        var sw = Stopwatch.StartNew();
        using var frame = _screens.Render(screen, _festival, preview, display.Width, display.Height, display.Monochrome);
        try
        {
            display.Show(frame);
        }
        catch (DeviceException e)
        {
            _logger.LogWarning("kiosk display: {Message}", e.Message); // a dead screen must not stop the cards
        }
        Spend(sw);
        ScreenShown?.Invoke(screen, frame);
    }

    private void ForgetGuest()
    {
        _photo?.Dispose();
        _photo = null;
        _preview?.Dispose();
        _preview = null;
        _card = null;
        _dots = null;
        _guestJobId = null;
    }

    private Festival CurrentFestival() =>
        _options.Festival is { } id ? FestivalCalendar.ById(id)! : FestivalCalendar.On(Today) ?? FestivalCalendar.Everyday;

    private void Wait(TimeSpan duration, CancellationToken ct) => _clock.WaitUntil(_clock.NowNs + Ns(duration), ct);

    private double Spend(Stopwatch sw)
    {
        var elapsed = sw.Elapsed;
        _clock.Spend(elapsed);
        return elapsed.TotalMilliseconds;
    }

    private static long Ns(TimeSpan t) => t.Ticks * 100;

    private static double Ms(long ns) => ns / 1e6;

    public void Dispose()
    {
        ForgetGuest();
        Queue.Dispose();
        Ledger.Dispose();
        _cards.Dispose();
        if (_ownsFonts) _fonts.Dispose();
    }
}
