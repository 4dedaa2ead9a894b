using System.Diagnostics;
using Edge.Agent.Devices;
using Edge.Agent.Devices.EscPos;
using Edge.Models.Imaging;
using Edge.Models.Ocr;
using Hcsr04Sensor = Edge.Agent.Devices.Hcsr04.Hcsr04;

namespace Edge.Agent.Kiosk;

// The kiosk's parts, each behind a small interface so the same state machine runs on a board and against the
// simulators. Adapters to the project's drivers live here too.

/// <summary>Says how far the nearest person is.</summary>
public interface IPresenceSensor
{
    /// <summary>One reading; false when nothing answered (nobody in range, or a lost echo).</summary>
    bool TryGetDistance(out double centimetres);
}

/// <summary>Takes a picture of the card the guest holds up.</summary>
public interface ICardCamera
{
    /// <summary>A new Rgb24 image the caller disposes, or null when no frame came.</summary>
    ImageBuffer? Capture(CancellationToken ct);
}

/// <summary>Reads the text on a card.</summary>
public interface ICardReader
{
    string Read(ImageBuffer image);
}

/// <summary>A screen the kiosk draws whole frames on.</summary>
public interface IKioskDisplay
{
    int Width { get; }
    int Height { get; }
    /// <summary>True for a one-colour screen (the SSD1306): frames are drawn light-on-dark without the card preview.</summary>
    bool Monochrome { get; }
    /// <summary>Shows an Rgb24 frame of <see cref="Width"/> × <see cref="Height"/>.</summary>
    void Show(ImageBuffer frame);
}

/// <summary>The thermal printer.</summary>
public interface ICardPrinter
{
    /// <summary>Asks the printer how it is; a printer that does not answer is Offline ("no reply"). Throws <see cref="DeviceException"/> when the connection is gone.</summary>
    PrinterStatus QueryStatus();
    /// <summary>Prints one card; throws <see cref="PrinterNotReadyException"/> when the printer is not ready before it starts.</summary>
    PrintJobResult Print(Bitmap1 card);
}

/// <summary>Where the kiosk reports problems someone should come and fix (MQTT in the agent).</summary>
public interface IKioskAlerts
{
    void Raise(KioskAlert alert);
}

/// <summary>
/// The kiosk's sense of time. Waits and countdowns go through it, so in the simulator they take no real time; the
/// real compute (capture, OCR, rendering, printing) is timed with a Stopwatch and handed to <see cref="Spend"/>, which
/// moves a virtual clock forward by as much and does nothing to a real one (the time has already passed).
/// </summary>
public interface IKioskClock
{
    long NowNs { get; }
    void WaitUntil(long ns, CancellationToken ct);
    void Spend(TimeSpan computeTime);
    DateTimeOffset LocalNow { get; }
}

/// <summary>Something someone should know about: paper out, cover open, printer offline, quota reached, or such a problem solved.</summary>
/// <param name="Kind">paper-out, cover-open, printer-offline, printer-ready, quota-reached; from the agent also device-missing and device-recovered.</param>
public sealed record KioskAlert(string Kind, string Message, DateTimeOffset At, int PendingJobs)
{
    /// <summary>The device concerned ("printer", "presence sensor", …), when one is.</summary>
    public string? Part { get; init; }
}

/// <summary>The HC-SR04 as the kiosk's presence sensor.</summary>
public sealed class Hcsr04PresenceSensor(Hcsr04Sensor sensor) : IPresenceSensor
{
    public bool TryGetDistance(out double centimetres) => sensor.TryGetDistance(out centimetres);
}

/// <summary>PP-OCR reading a guest's card: every line, in reading order, joined with newlines.</summary>
public sealed class OcrCardReader(OcrEngine engine) : ICardReader
{
    public string Read(ImageBuffer image) => engine.Read(image).Text;
}

/// <summary>The ESC/POS driver as the kiosk's printer.</summary>
public sealed class EscPosCardPrinter(EscPosPrinter printer) : ICardPrinter
{
    public PrinterStatus QueryStatus() => printer.QueryStatus(printer.Options.StatusTimeout);
    public PrintJobResult Print(Bitmap1 card) => printer.PrintJob(card);
}

/// <summary>Real time: CLOCK_MONOTONIC-like nanoseconds from Stopwatch, waits that end early on cancellation.</summary>
public sealed class SystemKioskClock(TimeProvider? time = null) : IKioskClock
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public long NowNs => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

    public void WaitUntil(long ns, CancellationToken ct)
    {
        long remaining = ns - NowNs;
        if (remaining > 0) ct.WaitHandle.WaitOne(TimeSpan.FromTicks(remaining / 100));
    }

    public void Spend(TimeSpan computeTime) { }

    public DateTimeOffset LocalNow => _time.GetLocalNow();
}
