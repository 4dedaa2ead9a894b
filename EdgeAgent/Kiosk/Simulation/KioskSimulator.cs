using Edge.Agent.Devices.EscPos;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Devices.Ssd1306;
using Edge.Models.Imaging;
using Edge.Models.Synthetic;
using Edge.Models.Text;
using Hcsr04Sensor = Edge.Agent.Devices.Hcsr04.Hcsr04;
using St7789Panel = Edge.Agent.Devices.St7789.St7789;

namespace Edge.Agent.Kiosk.Simulation;

/// <summary>What a scripted guest does after stepping up.</summary>
public enum GuestBehaviour { Stays, WalksAwayDuringPreview, PassesBy }

/// <summary>A printer problem the script causes while a guest's card is being previewed, and fixes once the kiosk waits on it.</summary>
public enum PrinterFault { None, PaperRunsOutMidCard, CoverOpen, Offline }

/// <summary>A guest of the simulated kiosk: the card they hold up (drawn like the OCR evaluation cards) and what they do.</summary>
public sealed record ScriptedGuest(string Name, IReadOnlyList<string> CardLines, FontStyle Style = FontStyle.Sans, bool Vertical = false,
    double Angle = 0, GuestBehaviour Behaviour = GuestBehaviour.Stays, PrinterFault Fault = PrinterFault.None)
{
    /// <summary>The guests of <c>edge kiosk --sim</c>: names and wishes, horizontal, turned, vertical and brush style; with <paramref name="faults"/> one card meets paper out and one an offline printer.</summary>
    public static IReadOnlyList<ScriptedGuest> Demo(int count, bool faults)
    {
        ScriptedGuest[] cast =
        [
            new("李小龙", ["李小龙"]),
            new("Alice Smith", ["Alice Smith"], Angle: 6),
            new("身体健康", ["身体健康"], Style: FontStyle.Kai),
            new("passer-by", ["王芳"], Behaviour: GuestBehaviour.PassesBy),
            new("万事如意", ["万事如意"], Style: FontStyle.Kai, Vertical: true),
            new("张伟", ["张伟"], Behaviour: GuestBehaviour.WalksAwayDuringPreview),
            new("Maria Garcia", ["Maria Garcia"]),
            new("阖家幸福", ["阖家幸福"], Style: FontStyle.Kai, Angle: -8),
        ];
        var guests = new List<ScriptedGuest>(count);
        for (int i = 0; i < count; i++) guests.Add(cast[i % cast.Length]);
        if (faults)
        {
            int printed = 0;
            for (int i = 0; i < guests.Count; i++)
            {
                if (guests[i].Behaviour != GuestBehaviour.Stays) continue;
                printed++;
                if (printed == 2) guests[i] = guests[i] with { Fault = PrinterFault.PaperRunsOutMidCard };
                if (printed == 3) guests[i] = guests[i] with { Fault = PrinterFault.Offline };
            }
        }
        return guests;
    }
}

/// <summary>The simulator's time: the GPIO chip's virtual clock, with a calendar date for the festival and the ledger.</summary>
public sealed class VirtualKioskClock(SimulatedGpioChip chip, DateTimeOffset start) : IKioskClock
{
    private readonly long _startNs = chip.NowNs;

    public long NowNs => chip.NowNs;
    public void WaitUntil(long ns, CancellationToken ct) => chip.WaitUntil(ns);
    public void Spend(TimeSpan computeTime) => chip.Advance(computeTime);
    public DateTimeOffset LocalNow => start + TimeSpan.FromTicks((chip.NowNs - _startNs) / 100);
}

/// <summary>
/// The whole kiosk on simulators: an HC-SR04 echo on a virtual GPIO chip, an ST7789 or SSD1306 emulator fed by the
/// real drivers, an ESC/POS interpreter behind the real printer driver, and a script of guests who step up, hold
/// their card to the camera, and sometimes walk away; printer faults are caused and fixed on cue. Everything waits
/// on the chip's virtual clock; the compute (OCR, rendering, dithering, printing) runs for real.
/// </summary>
public sealed class KioskSimulator : IDisposable
{
    public const int TriggerLine = 23, EchoLine = 24;
    private const double Nobody = 250, Standing = 30;

    private readonly KioskOptions _options;
    private readonly ICardReader _reader;
    private readonly TextRenderer _fonts = new();
    private readonly Hcsr04Sensor _sensor;
    private readonly St7789Panel? _panel;
    private readonly Ssd1306? _oled;
    private readonly EscPosPrinter _printerDriver;
    private readonly ScriptedCamera _camera = new();
    private readonly AlertLog _alerts = new();
    private readonly IKioskDisplay _display;

    private readonly Queue<ScriptedGuest> _waiting = new();
    private readonly Dictionary<ScriptedGuest, ImageBuffer> _cards = new(ReferenceEqualityComparer.Instance);
    private ScriptedGuest? _current;
    private bool _nextGuestWhenIdle;
    private int _finished, _expected;

    public KioskSimulator(KioskOptions options, ICardReader reader, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reader);
        _options = options;
        _reader = reader;
        Chip = new SimulatedGpioChip();
        Clock = new VirtualKioskClock(Chip, new DateTimeOffset(date.ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero));
        Echo = new Hcsr04Echo(Chip, TriggerLine, EchoLine) { DistanceAfterScript = Nobody };
        _sensor = new Hcsr04Sensor(Chip, TriggerLine, EchoLine);
        switch (options.Display)
        {
            case KioskDisplayKind.St7789:
                Panel = new St7789Emulator(240, 240);
                _panel = new St7789Panel(Panel.Spi, Panel.DataCommand, Panel.Reset, new Edge.Agent.Devices.St7789.St7789Options { Delay = Panel.Advance });
                _panel.Initialize();
                _display = new St7789KioskDisplay(_panel);
                break;
            case KioskDisplayKind.Ssd1306:
                Oled = new Ssd1306Emulator();
                _oled = new Ssd1306(Oled);
                _oled.Initialize();
                _display = new Ssd1306KioskDisplay(_oled);
                break;
            default:
                _display = new NoKioskDisplay();
                break;
        }
        Printer = new EscPosInterpreter(options.PaperWidthDots);
        _printerDriver = new EscPosPrinter(Printer.Channel, new EscPosOptions { PaperWidthDots = options.PaperWidthDots, StatusTimeout = TimeSpan.FromMilliseconds(100) });
        Kiosk = CreateKiosk();
    }

    public SimulatedGpioChip Chip { get; }
    public VirtualKioskClock Clock { get; }
    public Hcsr04Echo Echo { get; }
    public St7789Emulator? Panel { get; }
    public Ssd1306Emulator? Oled { get; }
    public EscPosInterpreter Printer { get; }
    public Kiosk Kiosk { get; private set; }
    public IReadOnlyList<KioskAlert> Alerts => _alerts.Raised;
    public List<KioskState> States { get; } = [];
    public List<KioskScreen> Screens { get; } = [];
    public List<GuestReport> Reports { get; } = [];
    /// <summary>When a scripted fault is fixed: how long after the kiosk starts waiting on it.</summary>
    public TimeSpan FaultFixedAfter { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Raised when the display shows a new screen (the emulator's memory already holds it).</summary>
    public event Action<KioskScreen>? ScreenShown;

    /// <summary>What the display's memory holds, as a person would see it.</summary>
    public void SaveDisplay(string path)
    {
        if (Panel is not null) Panel.SavePng(path);
        else Oled?.SavePng(path);
    }

    /// <summary>
    /// Plays <paramref name="guests"/> one after another and returns once each has finished, no card is left in the
    /// queue and the kiosk is back at its attract (or quota) screen; fails after <paramref name="limit"/> of virtual time.
    /// </summary>
    public void Run(IReadOnlyList<ScriptedGuest> guests, TimeSpan? limit = null)
    {
        Enqueue(guests);
        long end = Chip.NowNs + (limit ?? TimeSpan.FromMinutes(30)).Ticks * 100;
        while (!(_finished == _expected && Kiosk.Queue.Count == 0 && Kiosk.State is KioskState.Attract or KioskState.QuotaReached && _waiting.Count == 0))
        {
            if (Chip.NowNs > end)
                throw new TimeoutException($"the simulated kiosk did not finish {_expected} guests within {limit ?? TimeSpan.FromMinutes(30)} of virtual time: " +
                    $"{_finished} finished, state {Kiosk.State}, {Kiosk.Queue.Count} card(s) queued, printer problem {Kiosk.PrinterProblem ?? "none"}");
            Kiosk.Step();
        }
    }

    /// <summary>Adds guests to the script (each steps up once the one before has finished); <see cref="StepUntil"/> or <see cref="Run"/> plays them.</summary>
    public void Enqueue(IReadOnlyList<ScriptedGuest> guests)
    {
        foreach (var guest in guests)
        {
            _waiting.Enqueue(guest);
            if (!_cards.ContainsKey(guest))
            {
                using var sample = OcrSampleSet.RenderCard(guest.Name, guest.CardLines, guest.Style, guest.Vertical, angle: guest.Angle,
                    seed: _cards.Count + 7, text: _fonts);
                var copy = new ImageBuffer(sample.Image.Width, sample.Image.Height, sample.Image.Format);
                sample.Image.Data.CopyTo(copy.Data);
                _cards[guest] = copy;
            }
        }
        _expected += guests.Count;
        _nextGuestWhenIdle = true;
        if (Kiosk.State is KioskState.Attract or KioskState.QuotaReached && Screens.Count > 0) BringNextGuest();
    }

    /// <summary>Steps the kiosk until <paramref name="until"/> holds (or the virtual time limit passes).</summary>
    public void StepUntil(Func<bool> until, TimeSpan? limit = null)
    {
        long end = Chip.NowNs + (limit ?? TimeSpan.FromMinutes(5)).Ticks * 100;
        while (!until())
        {
            if (Chip.NowNs > end) throw new TimeoutException($"condition not reached within {limit ?? TimeSpan.FromMinutes(5)} of virtual time (state {Kiosk.State})");
            Kiosk.Step();
        }
    }

    /// <summary>Ends the kiosk as a power cut would (nothing more is sent) and starts a new one over the same state directory.</summary>
    public void Restart()
    {
        Kiosk.Dispose();
        Kiosk = CreateKiosk();
    }

    private Kiosk CreateKiosk()
    {
        var parts = new KioskParts(new Hcsr04PresenceSensor(_sensor), _camera, _reader, _display, new EscPosCardPrinter(_printerDriver), _alerts, Clock);
        var kiosk = new Kiosk(_options, parts, _fonts);
        kiosk.StateChanged += OnStateChanged;
        kiosk.ScreenShown += (screen, _) =>
        {
            Screens.Add(screen);
            ScreenShown?.Invoke(screen);
        };
        kiosk.GuestFinished += OnGuestFinished;
        return kiosk;
    }

    private void OnStateChanged(KioskState state)
    {
        States.Add(state);
        var guest = _current;
        switch (state)
        {
            case KioskState.Attract or KioskState.QuotaReached when _nextGuestWhenIdle:
                BringNextGuest();
                break;
            case KioskState.Preview when guest is not null:
                if (guest.Behaviour == GuestBehaviour.WalksAwayDuringPreview) At(TimeSpan.FromSeconds(0.8), () => Echo.DistanceAfterScript = Nobody);
                switch (guest.Fault)
                {
                    case PrinterFault.PaperRunsOutMidCard: Printer.PaperRowsLeft = 120; break;
                    case PrinterFault.CoverOpen: Printer.CoverOpen = true; break;
                    case PrinterFault.Offline: Printer.Offline = true; break;
                }
                break;
            case KioskState.PrinterWait:
                At(FaultFixedAfter, () =>
                {
                    // Staff load a new roll, close the cover, plug the printer back in.
                    Printer.PaperRowsLeft = null;
                    Printer.PaperOut = false;
                    Printer.CoverOpen = false;
                    Printer.Offline = false;
                });
                break;
        }
    }

    private void OnGuestFinished(GuestReport report)
    {
        Reports.Add(report);
        _finished++;
        _current = null;
        At(TimeSpan.FromSeconds(0.5), () => Echo.DistanceAfterScript = Nobody);
        _nextGuestWhenIdle = true;
        if (Kiosk.State is KioskState.Attract or KioskState.QuotaReached) BringNextGuest();
    }

    private void BringNextGuest()
    {
        if (_current is not null || !_waiting.TryDequeue(out var guest)) return;
        _nextGuestWhenIdle = false;
        _current = guest;
        var t = TimeSpan.FromSeconds(1.5);
        At(t, () => _camera.Card = _cards[guest]);
        if (guest.Behaviour == GuestBehaviour.PassesBy)
        {
            // One close reading on the way past: fewer than the kiosk needs.
            At(t, () => Echo.DistanceAfterScript = 45);
            At(t + _options.PollInterval * 1.5, () => Echo.DistanceAfterScript = Nobody);
            return;
        }
        At(t, () => Echo.DistanceAfterScript = 150);
        At(t + TimeSpan.FromSeconds(0.3), () => Echo.DistanceAfterScript = 90);
        At(t + TimeSpan.FromSeconds(0.6), () => Echo.DistanceAfterScript = Standing);
    }

    private void At(TimeSpan after, Action action) => Chip.Schedule(Chip.NowNs + after.Ticks * 100, action);

    public void Dispose()
    {
        Kiosk.Dispose();
        foreach (var card in _cards.Values) card.Dispose();
        _sensor.Dispose();
        Echo.Dispose();
        _printerDriver.Dispose();
        _panel?.Dispose();
        _oled?.Dispose();
        _fonts.Dispose();
        Chip.Dispose();
    }

    private sealed class ScriptedCamera : ICardCamera
    {
        public ImageBuffer? Card { get; set; }

        public ImageBuffer? Capture(CancellationToken ct)
        {
            if (Card is null) return null;
            var copy = new ImageBuffer(Card.Width, Card.Height, Card.Format);
            Card.Data.CopyTo(copy.Data);
            return copy;
        }
    }

    private sealed class AlertLog : IKioskAlerts
    {
        public List<KioskAlert> Raised { get; } = [];
        public void Raise(KioskAlert alert) => Raised.Add(alert);
    }
}
