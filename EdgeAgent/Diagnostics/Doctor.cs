using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edge.Agent.Capture;
using Edge.Agent.Config;
using Edge.Agent.Devices;
using Edge.Agent.Devices.EscPos;
using Edge.Agent.Devices.Linux;
using Edge.Agent.Kiosk;
using Edge.Models.Ocr;
using Edge.Models.Onnx;

namespace Edge.Agent.Diagnostics;

public enum CheckStatus { Ok, Warn, Fail }

/// <summary>One finding: what was checked, how it went, what was seen, and how to fix a failure.</summary>
public sealed record Check(string Name, CheckStatus Status, string Detail, string? Fix = null);

/// <summary>
/// <c>edge doctor</c>'s checks: native libraries, models, the config, capture devices, the kiosk's devices,
/// the broker and TLS files. Each failure says how to fix it.
/// </summary>
public static partial class Doctor
{
    private static readonly (string Name, string Soname, string Package, bool Required)[] NativeLibraries =
    [
        ("libturbojpeg", "libturbojpeg.so.0", "libturbojpeg0", true),
        ("libmosquitto", "libmosquitto.so.1", "libmosquitto1", true),
        ("gstreamer", "libgstreamer-1.0.so.0", "libgstreamer1.0-0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good", true),
        ("gstreamer app", "libgstapp-1.0.so.0", "libgstreamer-plugins-base1.0-0", true),
        ("freetype", "libfreetype.so.6", "libfreetype6", false),
    ];

    public static List<Check> Run(string? configPath, TimeSpan brokerTimeout)
    {
        var checks = new List<Check> { new(".NET runtime", CheckStatus.Ok, $"{RuntimeInformation.FrameworkDescription} on {RuntimeInformation.RuntimeIdentifier}") };
        checks.Add(OnnxRuntimeCheck());
        foreach (var (name, soname, package, required) in NativeLibraries)
        {
            if (NativeLibrary.TryLoad(soname, out var handle))
            {
                NativeLibrary.Free(handle);
                checks.Add(new(name, CheckStatus.Ok, $"{soname} loads"));
            }
            else checks.Add(new(name, required ? CheckStatus.Fail : CheckStatus.Warn, $"{soname} cannot be loaded", $"apt-get install {package} (scripts/setup does this)"));
        }

        AgentConfig? config = null;
        if (configPath is not null)
        {
            try
            {
                config = AgentConfig.Load(configPath);
                checks.Add(new("config", CheckStatus.Ok, $"{config.File}: {config.Pipelines.Count} pipeline(s){(config.Kiosk is null ? "" : ", the kiosk")}, device {config.Device.Id}"));
            }
            catch (ConfigException e)
            {
                checks.Add(new("config", CheckStatus.Fail, e.Message, "fix the key named above; docs/config.md lists every key"));
            }
        }

        var models = config?.OcrModels is { } dir ? OcrModelSet.FromDirectory(dir) : OcrModelSet.Default;
        checks.AddRange(ModelChecks(models));
        if (config is not null) checks.AddRange(ConfigChecks(config, brokerTimeout));
        return checks;
    }

    private static Check OnnxRuntimeCheck()
    {
        try
        {
            return new("onnxruntime", CheckStatus.Ok, $"{OnnxRuntime.Version} from {OnnxRuntime.LibraryPath}; providers {string.Join(", ", OnnxRuntime.AvailableProviders())}");
        }
        catch (OnnxRuntimeNotFoundException e)
        {
            return new("onnxruntime", CheckStatus.Fail, e.Message.Split('\n')[0], "run scripts/setup, or set EDGE_ORT_LIBRARY to libonnxruntime.so.1");
        }
    }

    public static IEnumerable<Check> ModelChecks(OcrModelSet models)
    {
        foreach (var path in models.Files)
        {
            var file = Path.GetFileName(path);
            if (!File.Exists(path))
            {
                yield return new($"model {file}", CheckStatus.Fail, $"missing: {path}", "run scripts/setup (or set models.ocr in the config)");
                continue;
            }
            string hash;
            using (var f = File.OpenRead(path)) hash = Convert.ToHexStringLower(SHA256.HashData(f));
            if (OcrModelSet.KnownSha256.TryGetValue(file, out var want) && want != hash)
                yield return new($"model {file}", CheckStatus.Warn, $"SHA-256 {hash[..12]}… is not the pinned PP-OCRv4 file ({want[..12]}…)", "run scripts/setup to restore it, unless this is a model you chose");
            else
                yield return new($"model {file}", CheckStatus.Ok, $"{new FileInfo(path).Length / 1024} KiB, SHA-256 {hash[..12]}…");
        }
    }

    private static IEnumerable<Check> ConfigChecks(AgentConfig config, TimeSpan brokerTimeout)
    {
        foreach (var p in config.Pipelines)
        {
            var s = p.Source;
            if (s.Type == SourceType.Camera && s.Device is { } dev && dev.StartsWith("/dev/", StringComparison.Ordinal))
                yield return File.Exists(dev) || Directory.Exists(dev)
                    ? new($"camera {p.Name}", CheckStatus.Ok, $"{dev} present")
                    : new($"camera {p.Name}", CheckStatus.Fail, $"{dev} does not exist", "plug the camera in, or set pipelines[].source.device (ls /dev/video*)");
            else if (s.Type is SourceType.Images or SourceType.Video)
                yield return new($"source {p.Name}", CheckStatus.Ok, $"{s.Type.ToString().ToLowerInvariant()} {s.Path}");
        }
        if (config.Mqtt is { } m)
        {
            yield return BrokerCheck(m.Host, m.Port, brokerTimeout);
            if (m.Tls is { } tls)
            {
                yield return CertificateCheck("tls ca", tls.CaFile, null);
                if (tls.CertFile is not null) yield return CertificateCheck("tls client cert", tls.CertFile, tls.KeyFile);
            }
        }
        foreach (var check in InspectionChecks(config)) yield return check;
        yield return OutboxCheck(config.Outbox.Path);
        if (config.Kiosk is { } kiosk)
            foreach (var check in KioskChecks(kiosk)) yield return check;
    }

    /// <summary>The kiosk's devices: the GPIO chip and its lines, the display's spidev or i2c node, the printer (reachable, and its status), the camera node.</summary>
    public static IEnumerable<Check> KioskChecks(KioskConfig kiosk)
    {
        var o = kiosk.Options;
        var w = o.Wiring;
        var lines = new List<(string Name, int Line)> { ("TRIG", w.TriggerLine), ("ECHO", w.EchoLine) };
        if (o.Display == KioskDisplayKind.St7789)
        {
            lines.Add(("DC", w.DataCommandLine));
            if (w.ResetLine is int r) lines.Add(("RST", r));
            if (w.BacklightLine is int b) lines.Add(("BL", b));
        }
        yield return GpioChipCheck($"/dev/gpiochip{w.GpioChip}", lines);
        if (o.Display == KioskDisplayKind.St7789)
            yield return DeviceNodeCheck("kiosk display", $"/dev/spidev{w.SpiBus}.{w.SpiChipSelect}", path => new LinuxSpiDevice(path, w.SpiSpeedHz, w.SpiMode).Dispose(),
                $"enable SPI (dtparam=spi=on in config.txt, reboot) or fix kiosk.wiring.spiBus/spiChipSelect (ls /dev/spidev*); the service user needs the spi group");
        else if (o.Display == KioskDisplayKind.Ssd1306)
            yield return DeviceNodeCheck("kiosk display", $"/dev/i2c-{w.I2cBus}", path => new LinuxI2cDevice(path, w.I2cAddress).Dispose(),
                $"enable I2C (dtparam=i2c_arm=on in config.txt, reboot) or fix kiosk.wiring.i2cBus; i2cdetect -y {w.I2cBus} should show 0x{w.I2cAddress:X2}");
        yield return PrinterCheck(w.Printer, o.PaperWidthDots);
        if (kiosk.Camera.Type == SourceType.Camera && kiosk.Camera.Device is { } dev && dev.StartsWith("/dev/", StringComparison.Ordinal))
            yield return File.Exists(dev)
                ? new("kiosk camera", CheckStatus.Ok, $"{dev} present")
                : new("kiosk camera", CheckStatus.Fail, $"{dev} does not exist", "plug the camera in, or set kiosk.camera.device (ls /dev/video*)");
    }

    private static Check GpioChipCheck(string path, List<(string Name, int Line)> lines)
    {
        const string name = "kiosk gpio";
        if (!File.Exists(path))
            return new(name, CheckStatus.Fail, $"{path} does not exist",
                "set kiosk.wiring.gpioChip to a chip that exists (ls /dev/gpiochip*; gpiochip4 on early Pi 5 kernels)");
        try
        {
            using var chip = new LinuxGpioChip(path);
            var outside = lines.Where(l => l.Line >= chip.LineCount).ToList();
            return outside.Count > 0
                ? new(name, CheckStatus.Fail, $"{path} ({chip.Label}) has lines 0..{chip.LineCount - 1}: {string.Join(", ", outside.Select(l => $"{l.Name} {l.Line}"))} do not exist",
                    "fix kiosk.wiring (GPIO numbers are BCM numbers on a Pi), or pick the chip of the header (gpioinfo)")
                : new(name, CheckStatus.Ok, $"{path} ({chip.Label}, {chip.LineCount} lines): {string.Join(", ", lines.Select(l => $"{l.Name} {l.Line}"))}");
        }
        catch (DeviceException e)
        {
            return new(name, CheckStatus.Fail, e.Message, "add the service user to the gpio group (sudo usermod -aG gpio $USER) and log in again");
        }
    }

    private static Check DeviceNodeCheck(string name, string path, Action<string> open, string fix)
    {
        if (!File.Exists(path)) return new(name, CheckStatus.Fail, $"{path} does not exist", fix);
        try
        {
            open(path);
            return new(name, CheckStatus.Ok, $"{path} opens");
        }
        catch (DeviceException e)
        {
            return new(name, CheckStatus.Fail, e.Message, fix);
        }
    }

    /// <summary>Opens the printer and asks its status (DLE EOT): ready, paper out, cover open, or no answer.</summary>
    public static Check PrinterCheck(string address, int paperWidthDots, TimeSpan? timeout = null)
    {
        const string name = "kiosk printer";
        var printer = PrinterAddress.Parse(address);
        if (printer.Kind != "tcp" && !File.Exists(printer.Target))
            return new(name, CheckStatus.Fail, $"{printer.Target} does not exist", printer.Fix);
        try
        {
            using var channel = printer.Open(timeout ?? TimeSpan.FromSeconds(2));
            // 3 s: a serial printer at 9600 baud, or a busy board, can take more than a second to answer DLE EOT.
            using var escpos = new EscPosPrinter(channel, new EscPosOptions { PaperWidthDots = paperWidthDots, StatusTimeout = timeout ?? TimeSpan.FromSeconds(3) });
            var status = escpos.QueryStatus(escpos.Options.StatusTimeout);
            if (status.IsReady)
                return new(name, status.PaperNearEnd ? CheckStatus.Warn : CheckStatus.Ok, $"{printer}: ready{(status.PaperNearEnd ? ", paper near end" : "")}",
                    status.PaperNearEnd ? "load a new roll soon" : null);
            var why = status.Describe() ?? "not ready";
            var fix = status.PaperOut ? "load a paper roll" : status.CoverOpen ? "close the printer cover" : $"switch the printer on; it did not answer a status request ({printer.Fix})";
            return new(name, CheckStatus.Warn, $"{printer}: {why}", fix);
        }
        catch (DeviceException e)
        {
            return new(name, CheckStatus.Fail, e.Message, printer.Fix);
        }
    }

    public static Check BrokerCheck(string host, int port, TimeSpan timeout)
    {
        try
        {
            using var client = new TcpClient();
            using var cts = new CancellationTokenSource(timeout);
            client.ConnectAsync(host, port, cts.Token).AsTask().GetAwaiter().GetResult();
            return new("mqtt broker", CheckStatus.Ok, $"{host}:{port} accepts connections");
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            var why = e is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.#} s" : e.Message;
            return new("mqtt broker", CheckStatus.Fail, $"{host}:{port}: {why}", "start the broker or fix mqtt.host/mqtt.port; results wait in the outbox meanwhile");
        }
    }

    private static Check CertificateCheck(string name, string path, string? keyPath)
    {
        try
        {
            using var cert = keyPath is null ? X509Certificate2.CreateFromPemFile(path) : X509Certificate2.CreateFromPemFile(path, keyPath);
            var now = DateTime.Now;
            if (now > cert.NotAfter) return new(name, CheckStatus.Fail, $"{path}: expired {cert.NotAfter:yyyy-MM-dd}", "renew the certificate");
            if (now < cert.NotBefore) return new(name, CheckStatus.Fail, $"{path}: not valid before {cert.NotBefore:yyyy-MM-dd}", "check the board's clock (NTP)");
            return new(name, CheckStatus.Ok, $"{path}: {cert.Subject}, valid to {cert.NotAfter:yyyy-MM-dd}");
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new(name, CheckStatus.Fail, $"{path}{(keyPath is null ? "" : " + " + keyPath)}: {e.Message}", "give PEM files the agent can read (a certificate, and for the client its matching key)");
        }
    }

    private static Check OutboxCheck(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".edge-doctor-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return new("outbox", CheckStatus.Ok, $"{path} (folder writable)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new("outbox", CheckStatus.Fail, $"{dir}: {e.Message}", "set outbox.path to a writable place (the systemd unit gives /var/lib/edge)");
        }
    }
}
