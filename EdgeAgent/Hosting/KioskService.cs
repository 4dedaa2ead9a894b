using System.Diagnostics;
using System.Text.Json;
using Edge.Agent.Config;
using Edge.Agent.Devices;
using Edge.Agent.Devices.EscPos;
using Edge.Agent.Kiosk;
using Edge.Agent.Metrics;
using Edge.Models.Imaging;
using Microsoft.Extensions.Logging;
using KioskMachine = Edge.Agent.Kiosk.Kiosk;

namespace Edge.Agent.Hosting;

/// <summary>What the kiosk was doing when last sampled, for telemetry, /api/status and /metrics.</summary>
public sealed record KioskStatus(KioskState State, UsageSnapshot Usage, int PrintQueueDepth, string Printer);

/// <summary>
/// The festival kiosk inside the agent, on its own thread: opens the devices (a missing one is retried with backoff,
/// named in health, logged with its fix and alerted as device_missing, then recovered), runs the state machine, and
/// samples its counts for telemetry. On stop the step in progress finishes, so a card being printed is printed or
/// stays in the print queue for the next start.
/// </summary>
public sealed class KioskService : IAsyncDisposable
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IdlePrinterCheckEvery = TimeSpan.FromSeconds(30);

    private readonly KioskConfig _config;
    private readonly KioskHardware _hardware;
    private readonly ICardReader _reader;
    private readonly IKioskAlerts _alerts;
    private readonly ILogger _log;
    private readonly IKioskClock _clock;
    private readonly StatusRecordingPrinter _printer;
    // Written on the kiosk's thread, read by /healthz: the problem last reported (alerted) per device.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IKioskDevice, string?> _reported = new(ReferenceEqualityComparer.Instance);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private KioskMachine? _kiosk;
    private volatile KioskStatus? _status;
    private volatile string? _failure;
    private long _nextSample, _nextPrinterCheck;
    private bool _stateChanged;

    public KioskService(KioskConfig config, KioskHardware hardware, ICardReader reader, IKioskAlerts alerts, ILogger logger, IKioskClock? clock = null)
    {
        _config = config;
        _hardware = hardware;
        _reader = reader;
        _alerts = alerts;
        _log = logger;
        _clock = clock ?? new SystemKioskClock();
        _printer = new StatusRecordingPrinter(hardware.Printer);
    }

    /// <summary>The last sample of the kiosk's state and counts (null until the kiosk has started).</summary>
    public KioskStatus? Status => _status;

    private long _lastStepTimestamp;

    /// <summary>
    /// How long the kiosk's thread has been inside one step (null when it is not running). The agent
    /// withholds the systemd watchdog ping when this passes the watchdog interval: a hung printer write
    /// or camera call gets the service restarted, and the print queue keeps the card.
    /// </summary>
    public TimeSpan? TimeInStep
    {
        get
        {
            if (_thread is null || _exited.Task.IsCompleted) return null;
            long last = Volatile.Read(ref _lastStepTimestamp);
            return last == 0 ? null : Stopwatch.GetElapsedTime(last);
        }
    }

    /// <summary>The longest wait a step may plan on purpose (cool-down, thank-you, countdown, printer retry).</summary>
    public TimeSpan LongestPlannedWait
    {
        get
        {
            var o = _config.Options;
            TimeSpan[] waits = [o.CoolDown, o.ThankYouDuration, o.PreviewCountdown, o.PrinterPollInterval, o.OfflineRetryMax, o.PollInterval];
            return waits.Max();
        }
    }

    /// <summary>Raised on the kiosk's thread when a guest's visit ends.</summary>
    public event Action<GuestReport>? GuestFinished;

    public void Start()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "kiosk" };
        _thread.Start();
    }

    /// <summary>Asks the kiosk to stop after the step in progress and waits up to <paramref name="timeout"/> for it.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        _stop.Cancel();
        if (_thread is null) return;
        try { await _exited.Task.WaitAsync(timeout); }
        catch (TimeoutException) { _log.LogWarning("the kiosk did not stop within {Seconds} s; its queued cards stay in the print queue", timeout.TotalSeconds); }
    }

    private void Loop()
    {
        try
        {
            var parts = new KioskParts(_hardware.Presence, _hardware.Camera, _reader, _hardware.Display, _printer, _alerts, _clock);
            _kiosk = new KioskMachine(_config.Options, parts, logger: _log);
            _kiosk.StateChanged += _ => _stateChanged = true;
            _kiosk.GuestFinished += r => GuestFinished?.Invoke(r);
            int waiting = _kiosk.Queue.Count;
            _log.LogInformation("kiosk starting: state in {Directory}, {Waiting} card(s) waiting to print, printer {Printer}, display {Display}",
                _config.Options.StateDirectory, waiting, _config.Options.Wiring.Printer, _config.Options.Display.ToString().ToLowerInvariant());
            BetweenSteps();
            var missing = _hardware.Devices.Where(d => d.Problem is not null).Select(d => $"{d.Role} {d.Address}").ToList();
            _log.LogInformation("kiosk serving: state {State}, printer {Printer}{Missing}", StateName(_kiosk.State), _status?.Printer ?? "unknown",
                missing.Count == 0 ? "" : $"; missing, retried in the background: {string.Join("; ", missing)}");
            _kiosk.Run(_stop.Token, BetweenSteps);
            Sample();
            _log.LogInformation("kiosk stopped: {Waiting} card(s) stay in the print queue", _kiosk.Queue.Count);
        }
        catch (Exception e)
        {
            _failure = $"kiosk stopped: {e.Message}";
            _log.LogCritical(e, "The kiosk cannot run ({Message}); the rest of the agent keeps running", e.Message);
        }
        finally
        {
            _exited.TrySetResult();
        }
    }

    /// <summary>On the kiosk's thread before each step: retry missing devices, report changes, sample the counts.</summary>
    private void BetweenSteps()
    {
        Volatile.Write(ref _lastStepTimestamp, Stopwatch.GetTimestamp());
        foreach (var device in _hardware.Devices)
        {
            try { device.Maintain(); }
            catch (Exception e) when (e is not OutOfMemoryException) { _log.LogDebug(e, "kiosk {Role}: maintain failed", device.Role); }
            ReportChange(device);
        }
        long now = Stopwatch.GetTimestamp();
        var kiosk = _kiosk!;
        if (now >= _nextPrinterCheck && kiosk.State is KioskState.Attract or KioskState.QuotaReached && kiosk.Queue.Count == 0)
        {
            // So the printer's status (and a printer gone missing) is known before the next guest needs it.
            _nextPrinterCheck = now + (long)(IdlePrinterCheckEvery.TotalSeconds * Stopwatch.Frequency);
            try { _printer.QueryStatus(); }
            catch (DeviceException) { }
            foreach (var device in _hardware.Devices) ReportChange(device);
        }
        if (_stateChanged || now >= _nextSample) Sample();
    }

    private void ReportChange(IKioskDevice device)
    {
        var problem = device.Problem;
        var before = _reported.GetValueOrDefault(device);
        if ((problem is null) == (before is null)) return;
        _reported[device] = problem;
        int pending = _kiosk?.Queue.Count ?? 0;
        if (problem is not null)
        {
            var why = problem.TrimEnd().EndsWith('.') || problem.TrimEnd().EndsWith('?') ? problem.TrimEnd() : problem.TrimEnd() + ".";
            _log.LogWarning("kiosk {Role} {Address} is missing: {Problem} Fix: {Fix}. Retrying with backoff (1 s doubling to 60 s); the rest of the agent keeps running",
                device.Role, device.Address, why, device.Fix);
            _alerts.Raise(new KioskAlert("device-missing", $"{device.Role} {device.Address}: {why} Fix: {device.Fix}", _clock.LocalNow, pending) { Part = device.Role });
        }
        else
        {
            _log.LogInformation("kiosk {Role} {Address} is back", device.Role, device.Address);
            _alerts.Raise(new KioskAlert("device-recovered", $"{device.Role} {device.Address} is back", _clock.LocalNow, pending) { Part = device.Role });
        }
    }

    private void Sample()
    {
        var kiosk = _kiosk!;
        _stateChanged = false;
        _nextSample = Stopwatch.GetTimestamp() + (long)(SampleEvery.TotalSeconds * Stopwatch.Frequency);
        _status = new KioskStatus(kiosk.State, kiosk.Snapshot(), kiosk.Queue.Count, PrinterWords(kiosk));
    }

    private string PrinterWords(KioskMachine kiosk)
    {
        if (kiosk.PrinterProblem is { } problem) return problem;
        if (_hardware.Devices.Any(d => d.Role == "printer" && d.Problem is not null)) return "missing";
        return _printer.Last switch
        {
            null => "unknown",
            { IsReady: true, PaperNearEnd: true } => "ready, paper near end",
            { IsReady: true } => "ready",
            var s => s.Describe() ?? "not ready",
        };
    }

    /// <summary>Reasons for /healthz: a device that is missing (naming its path), a printer that does not answer, a kiosk that could not start.</summary>
    public IEnumerable<string> Problems()
    {
        if (_failure is { } failure) yield return failure;
        foreach (var d in _hardware.Devices)
            if (d.Problem is { } p && _reported.GetValueOrDefault(d) is not null) yield return $"kiosk {d.Role} {d.Address}: {p}";
        // Paper out and an open cover are for staff (alerts, status), not a sick agent.
        if (_status is { Printer: "printer offline" } && !_hardware.Devices.Any(d => d.Role == "printer" && d.Problem is not null))
            yield return $"kiosk printer {_config.Options.Wiring.Printer}: offline (no status reply)";
    }

    public void RegisterMetrics(MetricsRegistry metrics)
    {
        foreach (var state in Enum.GetValues<KioskState>())
            metrics.GaugeFunc("edge_kiosk_state", "1 for the state the kiosk is in.", () => _status?.State == state ? 1 : 0, ("state", StateName(state)));
        metrics.CounterFunc("edge_kiosk_cards_printed_total", "Blessing cards printed, all time (the usage ledger).", () => _status?.Usage.CardsAllTime ?? double.NaN);
        metrics.CounterFunc("edge_kiosk_ocr_calls_total", "Cards read with OCR, all time (the usage ledger).", () => _status?.Usage.OcrCallsAllTime ?? double.NaN);
        metrics.GaugeFunc("edge_kiosk_cards_printed_today", "Blessing cards printed today (local day).", () => _status?.Usage.Today.CardsPrinted ?? double.NaN);
        metrics.GaugeFunc("edge_kiosk_ocr_calls_today", "Cards read with OCR today (local day).", () => _status?.Usage.Today.OcrCalls ?? double.NaN);
        metrics.GaugeFunc("edge_kiosk_print_queue_depth", "Cards committed to the print queue and not yet printed.", () => _status?.PrintQueueDepth ?? double.NaN);
        if (_config.Options.DailyQuota is int quota)
        {
            metrics.GaugeFunc("edge_kiosk_daily_quota", "Cards allowed per local day.", () => quota);
            metrics.GaugeFunc("edge_kiosk_cards_left_today", "Cards left of today's quota.", () => _status?.Usage.CardsLeftToday ?? double.NaN);
        }
        metrics.GaugeFunc("edge_kiosk_printer_ready", "1 while the printer last said it is ready.", () => _status?.Printer.StartsWith("ready", StringComparison.Ordinal) == true ? 1 : 0);
        foreach (var d in _hardware.Devices)
            metrics.GaugeFunc("edge_kiosk_device_up", "1 while the kiosk device is present and answering.", () => d.Problem is null ? 1 : 0, ("device", d.Role));
    }

    public static string StateName(KioskState state) => state switch
    {
        KioskState.PrinterWait => "printer_wait",
        KioskState.ThankYou => "thank_you",
        KioskState.CoolDown => "cool_down",
        KioskState.QuotaReached => "quota_reached",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>The "kiosk" object of telemetry and /api/status.</summary>
    public void WriteStats(Utf8JsonWriter w)
    {
        w.WriteStartObject("kiosk");
        var s = _status;
        w.WriteString("state", s is null ? (_failure is null ? "starting" : "failed") : StateName(s.State));
        if (_failure is not null) w.WriteString("reason", _failure);
        if (s is not null)
        {
            w.WriteString("printer", s.Printer);
            w.WriteNumber("print_queue", s.PrintQueueDepth);
            w.WriteNumber("cards_printed_today", s.Usage.Today.CardsPrinted);
            w.WriteNumber("ocr_calls_today", s.Usage.Today.OcrCalls);
            w.WriteNumber("guests_today", s.Usage.Today.Guests);
            w.WriteNumber("walk_aways_today", s.Usage.Today.WalkAways);
            w.WriteNumber("printer_faults_today", s.Usage.Today.Faults);
            if (s.Usage.DailyQuota is int q)
            {
                w.WriteNumber("quota", q);
                w.WriteNumber("cards_left_today", s.Usage.CardsLeftToday ?? 0);
            }
            else w.WriteNull("quota");
            w.WriteBoolean("quota_reached", s.Usage.QuotaReached);
            w.WriteNumber("cards_printed_total", s.Usage.CardsAllTime);
            w.WriteNumber("ocr_calls_total", s.Usage.OcrCallsAllTime);
        }
        w.WriteStartObject("devices");
        foreach (var d in _hardware.Devices)
        {
            w.WriteStartObject(d.Role);
            w.WriteString("address", d.Address);
            w.WriteBoolean("ok", d.Problem is null);
            if (d.Problem is { } p) w.WriteString("problem", p);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30));
        if (_exited.Task.IsCompleted) _kiosk?.Dispose();
        await _hardware.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>Keeps what the printer said last, for the status; passes everything through.</summary>
    private sealed class StatusRecordingPrinter(ICardPrinter inner) : ICardPrinter
    {
        private volatile PrinterStatus? _last;

        public PrinterStatus? Last => _last;

        public PrinterStatus QueryStatus()
        {
            try
            {
                return _last = inner.QueryStatus();
            }
            catch (DeviceException)
            {
                _last = null;
                throw;
            }
        }

        public PrintJobResult Print(Bitmap1 card)
        {
            try
            {
                var result = inner.Print(card);
                _last = result.After;
                return result;
            }
            catch (PrinterNotReadyException e)
            {
                _last = e.Status;
                throw;
            }
            catch (DeviceException)
            {
                _last = null;
                throw;
            }
        }
    }
}
