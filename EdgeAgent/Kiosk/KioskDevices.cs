using System.Diagnostics;
using System.Globalization;
using Edge.Agent.Devices;
using Edge.Agent.Devices.Channels;
using Edge.Agent.Devices.EscPos;
using Edge.Agent.Devices.Linux;
using Edge.Models.Imaging;
using Hcsr04Sensor = Edge.Agent.Devices.Hcsr04.Hcsr04;
using Ssd1306Oled = Edge.Agent.Devices.Ssd1306.Ssd1306;
using St7789Panel = Edge.Agent.Devices.St7789.St7789;

namespace Edge.Agent.Kiosk;

/// <summary>One of the kiosk's devices as the agent watches it: where it hangs, whether it works, and how to fix it when not.</summary>
public interface IKioskDevice
{
    /// <summary>What it is to the kiosk: "presence sensor", "display", "printer", "camera".</summary>
    string Role { get; }
    /// <summary>Where it hangs, naming the device path ("/dev/gpiochip0 lines 23 (TRIG), 24 (ECHO)").</summary>
    string Address { get; }
    /// <summary>Why it does not work now (missing, unplugged, refused), or null when it does.</summary>
    string? Problem { get; }
    /// <summary>What a person should do about <see cref="Problem"/>.</summary>
    string Fix { get; }
    /// <summary>Tries to open the device again when it is missing and its backoff has passed; called on the kiosk's thread.</summary>
    void Maintain();
}

/// <summary>
/// A device opened from the config that may be missing or unplugged: a failed open or a transport error closes it,
/// records why, and the next try waits 1 s, doubling up to <see cref="MaxBackoff"/>. Used from the kiosk's thread only;
/// <see cref="Problem"/> may be read from any thread.
/// </summary>
public abstract class ReopeningDevice : IKioskDevice, IDisposable
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private volatile string? _problem = "not opened yet";
    private long _nextTry;
    private TimeSpan _backoff = FirstBackoff;

    protected ReopeningDevice(string role, string address, string fix)
    {
        Role = role;
        Address = address;
        Fix = fix;
    }

    public string Role { get; }
    public string Address { get; }
    public string Fix { get; }
    public string? Problem => _problem;
    public bool IsOpen { get; private set; }
    /// <summary>When the next open is tried, from now; zero when open or due.</summary>
    public TimeSpan RetryIn => IsOpen ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(0, _nextTry - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

    public void Maintain() => EnsureOpen();

    /// <summary>Opens the device when it is closed and due for a try; true when it is open.</summary>
    protected bool EnsureOpen()
    {
        if (IsOpen) return true;
        if (Stopwatch.GetTimestamp() < _nextTry) return false;
        try
        {
            OpenDevice();
        }
        catch (Exception e) when (e is DeviceException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            SafeClose();
            Failed(e.Message);
            return false;
        }
        IsOpen = true;
        _backoff = FirstBackoff;
        _problem = null;
        return true;
    }

    /// <summary>The device stopped answering (unplugged): close it and try again after the backoff.</summary>
    protected void Lost(Exception e)
    {
        IsOpen = false;
        SafeClose();
        Failed(e.Message);
    }

    private void Failed(string why)
    {
        _problem = why;
        _nextTry = Stopwatch.GetTimestamp() + (long)(_backoff.TotalSeconds * Stopwatch.Frequency);
        _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
    }

    private void SafeClose()
    {
        try { CloseDevice(); }
        catch (Exception e) when (e is DeviceException or IOException) { }
    }

    /// <summary>Opens every handle; throws <see cref="DeviceException"/> when the device is not there.</summary>
    protected abstract void OpenDevice();
    /// <summary>Releases whatever <see cref="OpenDevice"/> got (also after it failed half-way).</summary>
    protected abstract void CloseDevice();

    public void Dispose()
    {
        IsOpen = false;
        SafeClose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The HC-SR04 on a GPIO chip, opened from the wiring; while the chip is missing nobody is seen.</summary>
public sealed class GpioPresenceSensor : ReopeningDevice, IPresenceSensor
{
    private readonly Func<IGpioChip> _openChip;
    private readonly int _trigger, _echo;
    private IGpioChip? _chip;
    private Hcsr04Sensor? _sensor;

    public GpioPresenceSensor(KioskWiring wiring, Func<IGpioChip>? openChip = null)
        : base("presence sensor", $"/dev/gpiochip{wiring.GpioChip} lines {wiring.TriggerLine} (TRIG), {wiring.EchoLine} (ECHO)",
            $"check that /dev/gpiochip{wiring.GpioChip} exists (ls /dev/gpiochip*; early Pi 5 kernels use gpiochip4: set kiosk.wiring.gpioChip), " +
            "that the service user is in the gpio group, and that no other process holds the lines (gpioinfo)")
    {
        _openChip = openChip ?? (() => LinuxGpioChip.Open(wiring.GpioChip));
        _trigger = wiring.TriggerLine;
        _echo = wiring.EchoLine;
    }

    public bool TryGetDistance(out double centimetres)
    {
        centimetres = 0;
        if (!EnsureOpen()) return false;
        try
        {
            return _sensor!.TryGetDistance(out centimetres);
        }
        catch (DeviceException e)
        {
            Lost(e);
            return false;
        }
    }

    protected override void OpenDevice()
    {
        _chip = _openChip();
        _sensor = new Hcsr04Sensor(_chip, _trigger, _echo);
    }

    protected override void CloseDevice()
    {
        _sensor?.Dispose();
        _sensor = null;
        _chip?.Dispose();
        _chip = null;
    }
}

/// <summary>
/// The ST7789 (spidev + DC/RST/BL lines) or the SSD1306 (i2c-dev), opened from the wiring. While it is missing frames
/// are dropped; when it comes back it is initialised and shown the last frame again.
/// </summary>
public sealed class ReopeningKioskDisplay : ReopeningDevice, IKioskDisplay
{
    private readonly KioskDisplayKind _kind;
    private readonly KioskWiring _wiring;
    private IGpioChip? _chip;
    private readonly List<IDisposable> _handles = [];
    private St7789Panel? _panel;
    private Ssd1306Oled? _oled;
    private ImageBuffer? _last;

    public ReopeningKioskDisplay(KioskDisplayKind kind, KioskWiring wiring)
        : base("display", Describe(kind, wiring), FixFor(kind, wiring))
    {
        if (kind == KioskDisplayKind.None) throw new ArgumentException("a display of kind None is a NoKioskDisplay", nameof(kind));
        _kind = kind;
        _wiring = wiring;
        bool landscape = wiring.DisplayRotation is 90 or 270;
        Width = kind == KioskDisplayKind.Ssd1306 ? Ssd1306Oled.Width : landscape ? wiring.DisplayHeight : wiring.DisplayWidth;
        Height = kind == KioskDisplayKind.Ssd1306 ? Ssd1306Oled.Height : landscape ? wiring.DisplayWidth : wiring.DisplayHeight;
    }

    private static string Describe(KioskDisplayKind kind, KioskWiring w) => kind == KioskDisplayKind.Ssd1306
        ? $"SSD1306 /dev/i2c-{w.I2cBus} address 0x{w.I2cAddress:X2}"
        : $"ST7789 /dev/spidev{w.SpiBus}.{w.SpiChipSelect}, DC line {w.DataCommandLine} on /dev/gpiochip{w.GpioChip}";

    private static string FixFor(KioskDisplayKind kind, KioskWiring w) => kind == KioskDisplayKind.Ssd1306
        ? $"enable I2C (dtparam=i2c_arm=on in config.txt, reboot), check the module answers at 0x{w.I2cAddress:X2} (i2cdetect -y {w.I2cBus}), kiosk.wiring.i2cBus/i2cAddress, and the i2c group"
        : $"enable SPI (dtparam=spi=on in config.txt, reboot), check kiosk.wiring.spiBus/spiChipSelect (ls /dev/spidev*), the DC/RST/BL wiring on gpiochip{w.GpioChip}, and the spi and gpio groups";

    public int Width { get; }
    public int Height { get; }
    public bool Monochrome => _kind == KioskDisplayKind.Ssd1306;

    public void Show(ImageBuffer frame)
    {
        _last ??= new ImageBuffer();
        _last.Reset(frame.Width, frame.Height, frame.Format, frame.Stride);
        frame.Data.CopyTo(_last.Data);
        if (!IsOpen)
        {
            EnsureOpen(); // shows the frame just kept when it comes back
            return;
        }
        Draw(frame);
    }

    private void Draw(ImageBuffer frame)
    {
        try
        {
            if (_panel is not null) _panel.Show(frame);
            else _oled!.Show(frame);
        }
        catch (DeviceException e)
        {
            Lost(e); // a dead screen must not stop the cards
        }
    }

    protected override void OpenDevice()
    {
        if (_kind == KioskDisplayKind.Ssd1306)
        {
            var i2c = LinuxI2cDevice.Open(_wiring.I2cBus, _wiring.I2cAddress);
            _handles.Add(i2c);
            _oled = new Ssd1306Oled(i2c);
            _oled.Initialize();
        }
        else
        {
            _chip = LinuxGpioChip.Open(_wiring.GpioChip);
            var dc = Keep(_chip.RequestOutput(_wiring.DataCommandLine, false, "st7789-dc"));
            var reset = _wiring.ResetLine is int r ? Keep(_chip.RequestOutput(r, true, "st7789-reset")) : null;
            var backlight = _wiring.BacklightLine is int b ? Keep(_chip.RequestOutput(b, false, "st7789-backlight")) : null;
            var spi = Keep(LinuxSpiDevice.Open(_wiring.SpiBus, _wiring.SpiChipSelect, _wiring.SpiSpeedHz, _wiring.SpiMode));
            _panel = new St7789Panel(spi, dc, reset, new Devices.St7789.St7789Options
            {
                Width = _wiring.DisplayWidth, Height = _wiring.DisplayHeight, Rotation = _wiring.DisplayRotation, Backlight = backlight,
            });
            _panel.Initialize();
            _panel.BacklightOn = true;
        }
        if (_last is not null) Draw(_last);
    }

    private T Keep<T>(T handle) where T : IDisposable
    {
        _handles.Add(handle);
        return handle;
    }

    protected override void CloseDevice()
    {
        _panel?.Dispose();
        _panel = null;
        _oled?.Dispose();
        _oled = null;
        foreach (var h in _handles) h.Dispose();
        _handles.Clear();
        _chip?.Dispose();
        _chip = null;
    }
}

/// <summary>Where the printer is: a device file, <c>tcp:HOST:PORT</c> or <c>serial:DEVICE:BAUD</c> (kiosk.wiring.printer).</summary>
public sealed record PrinterAddress(string Kind, string Target, int Number)
{
    public static PrinterAddress Parse(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (text.StartsWith("tcp:", StringComparison.Ordinal) || text.StartsWith("serial:", StringComparison.Ordinal))
        {
            int colon = text.LastIndexOf(':');
            int first = text.IndexOf(':');
            if (colon > first && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                return new(text[..first], text[(first + 1)..colon], n);
            throw new ArgumentException($"printer \"{text}\" must be tcp:HOST:PORT or serial:DEVICE:BAUD", nameof(text));
        }
        return new("file", text, 0);
    }

    /// <summary>Opens the channel; a TCP printer is connected at once so a missing one is known now.</summary>
    public IByteChannel Open(TimeSpan? connectTimeout = null) => Kind switch
    {
        "tcp" => Connected(new TcpChannel(Target, Number, connectTimeout ?? TimeSpan.FromSeconds(3))),
        "serial" => new SerialChannel(Target, Number),
        _ => new DeviceFileChannel(Target),
    };

    private static TcpChannel Connected(TcpChannel channel)
    {
        try
        {
            channel.Connect();
            return channel;
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public string Fix => Kind switch
    {
        "tcp" => $"switch the printer on and check it answers on {Target}:{Number} from this device (kiosk.wiring.printer)",
        "serial" => $"check the serial adapter is plugged in (ls {Target}), the baud rate ({Number}) matches the printer, and the dialout group",
        _ => $"plug the printer in and switch it on (ls {Path.GetDirectoryName(Target)}), and add the service user to the lp group",
    };

    public override string ToString() => Kind == "file" ? Target : $"{Kind}:{Target}:{Number}";
}

/// <summary>
/// The ESC/POS printer opened from its address. While the printer is missing every call throws a
/// <see cref="DeviceException"/> naming it (the kiosk keeps the card and retries); a transport error closes the
/// channel so the next try opens it afresh (a USB printer re-plugged gets a new file).
/// </summary>
public sealed class ReopeningCardPrinter : ReopeningDevice, ICardPrinter
{
    private readonly PrinterAddress _address;
    private readonly EscPosOptions _options;
    private IByteChannel? _channel;
    private EscPosPrinter? _printer;

    public ReopeningCardPrinter(string address, int paperWidthDots)
        : this(PrinterAddress.Parse(address), paperWidthDots) { }

    private ReopeningCardPrinter(PrinterAddress address, int paperWidthDots)
        : base("printer", address.ToString(), address.Fix)
    {
        _address = address;
        _options = new EscPosOptions { PaperWidthDots = paperWidthDots };
    }

    public PrinterStatus QueryStatus() => Use(p => p.QueryStatus(p.Options.StatusTimeout));

    public PrintJobResult Print(Bitmap1 card) => Use(p => p.PrintJob(card));

    private T Use<T>(Func<EscPosPrinter, T> action)
    {
        if (!EnsureOpen()) throw new DeviceException($"printer {Address}: {Problem}");
        try
        {
            return action(_printer!);
        }
        catch (DeviceException e) when (e is not PrinterNotReadyException)
        {
            Lost(e);
            throw;
        }
    }

    protected override void OpenDevice()
    {
        _channel = _address.Open();
        _printer = new EscPosPrinter(_channel, _options);
    }

    protected override void CloseDevice()
    {
        _printer?.Dispose();
        _printer = null;
        _channel?.Dispose();
        _channel = null;
    }
}
