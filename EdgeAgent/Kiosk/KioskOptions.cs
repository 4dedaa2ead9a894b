namespace Edge.Agent.Kiosk;

/// <summary>Which small screen the kiosk previews cards on.</summary>
public enum KioskDisplayKind { None, St7789, Ssd1306 }

/// <summary>
/// Where the kiosk's devices hang on one board. The defaults are a Raspberry Pi 4: HC-SR04 TRIG on GPIO23 and
/// ECHO on GPIO24 of gpiochip0 (gpiochip4 on early Pi 5 kernels), an ST7789 on /dev/spidev0.0 with DC GPIO25,
/// RST GPIO27 and BL GPIO18, an SSD1306 at 0x3C on /dev/i2c-1, and a USB printer at /dev/usb/lp0.
/// </summary>
public sealed record KioskWiring
{
    /// <summary>The GPIO chip of every line below (/dev/gpiochipN).</summary>
    public int GpioChip { get; init; }
    public int TriggerLine { get; init; } = 23;
    public int EchoLine { get; init; } = 24;
    /// <summary>spidev bus and chip select of the ST7789 (/dev/spidevB.C).</summary>
    public int SpiBus { get; init; }
    public int SpiChipSelect { get; init; }
    public int SpiSpeedHz { get; init; } = 40_000_000;
    /// <summary>SPI mode: 0 for modules with CS, 3 for 240×240 modules without one.</summary>
    public int SpiMode { get; init; }
    public int DataCommandLine { get; init; } = 25;
    public int? ResetLine { get; init; } = 27;
    public int? BacklightLine { get; init; } = 18;
    /// <summary>Panel size (240×240 or 240×320) and rotation of the ST7789.</summary>
    public int DisplayWidth { get; init; } = 240;
    public int DisplayHeight { get; init; } = 240;
    public int DisplayRotation { get; init; }
    /// <summary>The SSD1306's bus (/dev/i2c-N) and address.</summary>
    public int I2cBus { get; init; } = 1;
    public int I2cAddress { get; init; } = 0x3C;
    /// <summary>The printer: a device file (/dev/usb/lp0), tcp:HOST:PORT, or serial:DEVICE:BAUD.</summary>
    public string Printer { get; init; } = "/dev/usb/lp0";
}

/// <summary>How the festival kiosk behaves; validated by <see cref="Validate"/> (and by the config reader, key by key).</summary>
public sealed record KioskOptions
{
    /// <summary>A reading at or below this distance counts as someone standing at the kiosk.</summary>
    public double PresenceCentimetres { get; init; } = 60;
    /// <summary>Beyond this distance (or with no echo) the spot is clear; in between is neither.</summary>
    public double AwayCentimetres { get; init; } = 100;
    /// <summary>Close readings in a row before the kiosk reacts, so a passer-by does not start it.</summary>
    public int CloseReadings { get; init; } = 3;
    /// <summary>Clear readings in a row during the preview that mean the guest walked away (the card is not printed).</summary>
    public int AwayReadings { get; init; } = 3;
    /// <summary>Time between distance readings.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>How long the preview is shown, counting down, before the card prints.</summary>
    public TimeSpan PreviewCountdown { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan ThankYouDuration { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>After the thank-you screen: no sensing, so the guest who just left is not served twice.</summary>
    public TimeSpan CoolDown { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>How often a printer reporting paper out or cover open is asked again.</summary>
    public TimeSpan PrinterPollInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>First and longest wait between tries while the printer does not answer (doubling in between).</summary>
    public TimeSpan OfflineRetryInitial { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan OfflineRetryMax { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>384 (58 mm paper) or 576 (80 mm).</summary>
    public int PaperWidthDots { get; init; } = 384;
    /// <summary>Cards per local day; null = no limit.</summary>
    public int? DailyQuota { get; init; }
    public KioskDisplayKind Display { get; init; } = KioskDisplayKind.St7789;
    /// <summary>Folder for the print queue and the usage ledger (the agent's state directory).</summary>
    public string StateDirectory { get; init; } = "/var/lib/edge";
    /// <summary>Force a festival by id (e.g. "spring-festival") instead of the calendar's.</summary>
    public string? Festival { get; init; }
    public KioskWiring Wiring { get; init; } = new();

    public void Validate()
    {
        static void Check(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} = {value}: {rule}");
        }
        Check(PresenceCentimetres is >= 2 and <= 400, nameof(PresenceCentimetres), PresenceCentimetres, "must be within the HC-SR04's 2..400 cm");
        Check(AwayCentimetres > PresenceCentimetres && AwayCentimetres <= 400, nameof(AwayCentimetres), AwayCentimetres, $"must be above PresenceCentimetres ({PresenceCentimetres}) and at most 400");
        Check(CloseReadings is >= 1 and <= 50, nameof(CloseReadings), CloseReadings, "must be in 1..50");
        Check(AwayReadings is >= 1 and <= 50, nameof(AwayReadings), AwayReadings, "must be in 1..50");
        Check(PollInterval >= TimeSpan.FromMilliseconds(60) && PollInterval <= TimeSpan.FromSeconds(10), nameof(PollInterval), PollInterval, "must be 60 ms..10 s (the HC-SR04 needs 60 ms per reading)");
        Check(PreviewCountdown >= TimeSpan.Zero && PreviewCountdown <= TimeSpan.FromSeconds(60), nameof(PreviewCountdown), PreviewCountdown, "must be 0..60 s");
        Check(ThankYouDuration >= TimeSpan.Zero && ThankYouDuration <= TimeSpan.FromSeconds(60), nameof(ThankYouDuration), ThankYouDuration, "must be 0..60 s");
        Check(CoolDown >= TimeSpan.Zero && CoolDown <= TimeSpan.FromMinutes(10), nameof(CoolDown), CoolDown, "must be 0..600 s");
        Check(PrinterPollInterval > TimeSpan.Zero, nameof(PrinterPollInterval), PrinterPollInterval, "must be positive");
        Check(OfflineRetryInitial > TimeSpan.Zero && OfflineRetryMax >= OfflineRetryInitial, nameof(OfflineRetryMax), OfflineRetryMax, $"must be at least OfflineRetryInitial ({OfflineRetryInitial}), both positive");
        Check(PaperWidthDots is 384 or 576, nameof(PaperWidthDots), PaperWidthDots, "must be 384 (58 mm paper) or 576 (80 mm paper)");
        Check(DailyQuota is null or >= 1, nameof(DailyQuota), DailyQuota ?? 0, "must be at least 1 (leave it out for no limit)");
        Check(Enum.IsDefined(Display), nameof(Display), Display, "must be None, St7789 or Ssd1306");
        if (Festival is not null && Festivals.FestivalCalendar.ById(Festival) is null)
            throw new ArgumentOutOfRangeException(nameof(Festival), Festival,
                $"{nameof(Festival)} = {Festival}: unknown festival (known: {string.Join(", ", Festivals.FestivalCalendar.All.Select(f => f.Id))})");
        ArgumentException.ThrowIfNullOrEmpty(StateDirectory);
    }
}
