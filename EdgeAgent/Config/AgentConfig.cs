using System.Text.Json;
using System.Text.RegularExpressions;
using Edge.Agent.Capture;
using Edge.Agent.Kiosk;
using Edge.Agent.Kiosk.Festivals;
using Edge.Agent.Mqtt;
using Edge.Agent.Outbox;

namespace Edge.Agent.Config;

public sealed record DeviceConfig(string Id);

public sealed record MqttTlsConfig(string CaFile, string? CertFile, string? KeyFile);

public sealed record MqttConfig(
    string Host, int Port, string Prefix, MqttProtocol Protocol, int KeepAliveSeconds,
    string? Username, string? Password, MqttTlsConfig? Tls, string ClientId);

public sealed record OutboxConfig(string Path, long MaxBytes, TimeSpan MaxAge, OutboxOverflow Overflow);

public sealed record HttpConfig(bool Enabled, string Host, int Port);

public sealed record StageConfig(string Type);

public sealed record SinkConfig(string Type, string? Path, int Every);

/// <summary>The kiosk section: how it behaves and where its devices hang (<see cref="KioskOptions"/>), and the camera that reads guests' cards (in trigger mode).</summary>
public sealed record KioskConfig(KioskOptions Options, SourceOptions Camera);

public sealed record PipelineConfig(
    string Name, SourceOptions Source, bool Triggered, int QueueCapacity,
    IReadOnlyList<StageConfig> Stages, IReadOnlyList<SinkConfig> Sinks);

/// <summary>The agent's one JSON configuration file, validated as a whole when loaded. See docs/config.md.</summary>
public sealed partial record AgentConfig(
    string File, DeviceConfig Device, MqttConfig? Mqtt, OutboxConfig Outbox, HttpConfig Http,
    string? OcrModels, IReadOnlyList<PipelineConfig> Pipelines)
{
    public const string DefaultPath = "/etc/edge/agent.json";

    /// <summary>The festival kiosk run by the agent, when the config has a "kiosk" section.</summary>
    public KioskConfig? Kiosk { get; init; }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex TopicSafeName();

    /// <summary>Loads and validates <paramref name="path"/>; throws <see cref="ConfigException"/> naming the key, the value and what is allowed.</summary>
    public static AgentConfig Load(string path)
    {
        var file = Path.GetFullPath(path);
        if (!System.IO.File.Exists(file))
            throw new ConfigException($"{file}: config file not found (pass --config FILE, or create {DefaultPath}; docs/config.md has an example)");
        string text;
        try { text = System.IO.File.ReadAllText(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ConfigException($"{file}: cannot read: {e.Message}"); }
        return Parse(text, file);
    }

    public static AgentConfig Parse(string json, string file)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{file}: not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message.Split(" Path:")[0]}");
        }
        using (doc)
        {
            var root = new JsonConfigReader(doc.RootElement, "", file);
            var device = ReadDevice(root.Object("device", required: true)!);
            var mqtt = root.Object("mqtt") is { } m ? ReadMqtt(m, device) : null;
            var outbox = ReadOutbox(root.Object("outbox"), root);
            var http = ReadHttp(root.Object("http"));
            var models = root.Object("models");
            string? ocrModels = models?.PathValue("ocr");
            models?.RejectUnknown();
            bool kiosk = root.Has("kiosk") || root.Has("inspection"); // either runs without pipelines
            var pipelines = root.Objects("pipelines", required: !kiosk, minCount: kiosk ? 0 : 1).Select(p => ReadPipeline(p, mqtt is not null)).ToList();
            var kioskConfig = root.Object("kiosk") is { } k ? ReadKiosk(k, Path.GetDirectoryName(outbox.Path)!) : null;
            var inspection = root.Object("inspection") is { } ins ? ReadInspection(ins, Path.GetDirectoryName(outbox.Path)!) : null;
            var duplicate = pipelines.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw root.Error("pipelines", $"two pipelines are named \"{duplicate.Key}\": names must be unique");
            root.RejectUnknown();
            return new AgentConfig(file, device, mqtt, outbox, http, ocrModels, pipelines) { Kiosk = kioskConfig, Inspection = inspection };
        }
    }

    private static DeviceConfig ReadDevice(JsonConfigReader r)
    {
        var id = r.String("id", required: true)!;
        if (!TopicSafeName().IsMatch(id)) throw r.Error($"{r.Path}.id", $"\"{id}\" must be 1-64 letters, digits, '-' or '_' (it is part of MQTT topics)");
        r.RejectUnknown();
        return new DeviceConfig(id);
    }

    private static MqttConfig ReadMqtt(JsonConfigReader r, DeviceConfig device)
    {
        var host = r.String("host", "127.0.0.1")!;
        int port = r.Int("port", r.Has("tls") ? 8883 : 1883, 1, 65535);
        var prefix = r.String("prefix", "edge")!;
        if (prefix.Length == 0 || prefix.IndexOfAny(['+', '#']) >= 0 || prefix.StartsWith('/') || prefix.EndsWith('/'))
            throw r.Error($"{r.Path}.prefix", $"\"{prefix}\" must be a non-empty topic level(s) without '+', '#' or a leading/trailing '/'");
        var protocol = r.Choice("protocol", "5", "5", "3.1.1") == "5" ? MqttProtocol.V5 : MqttProtocol.V311;
        int keepAlive = r.Int("keepAliveSeconds", 30, 5, 3600);
        var user = r.String("username");
        var password = r.String("password");
        if (password is not null && user is null) throw r.Error($"{r.Path}.password", "needs mqtt.username too");
        MqttTlsConfig? tls = null;
        if (r.Object("tls") is { } t)
        {
            var ca = t.PathValue("ca", required: true)!;
            var cert = t.PathValue("cert");
            var key = t.PathValue("key");
            if ((cert is null) != (key is null)) throw t.Error($"{t.Path}", "cert and key go together: give both or neither");
            foreach (var (k, f) in new[] { ("ca", ca), ("cert", cert), ("key", key) })
                if (f is not null && !System.IO.File.Exists(f)) throw t.Error($"{t.Path}.{k}", $"file not found: {f}");
            t.RejectUnknown();
            tls = new MqttTlsConfig(ca, cert, key);
        }
        var clientId = r.String("clientId", $"edge-{device.Id}")!;
        r.RejectUnknown();
        return new MqttConfig(host, port, prefix, protocol, keepAlive, user, password, tls, clientId);
    }

    private static OutboxConfig ReadOutbox(JsonConfigReader? r, JsonConfigReader root)
    {
        // systemd's StateDirectory=edge gives $STATE_DIRECTORY; otherwise the usual place for service state.
        var stateDir = Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } s ? s.Split(':')[0] : "/var/lib/edge";
        var fallback = Path.Combine(stateDir, "outbox.db");
        if (r is null) return new OutboxConfig(fallback, 256L << 20, TimeSpan.FromDays(7), OutboxOverflow.DropOldest);
        var path = r.PathValue("path", fallback)!;
        long maxBytes = (long)r.Int("maxMegabytes", 256, 1, 1_000_000) << 20;
        var maxAge = TimeSpan.FromHours(r.Double("maxAgeHours", 24 * 7, 0.01, 24 * 365 * 10));
        var overflow = r.Choice("overflow", "drop-oldest", "drop-oldest", "reject-new") == "drop-oldest" ? OutboxOverflow.DropOldest : OutboxOverflow.RejectNew;
        r.RejectUnknown();
        return new OutboxConfig(path, maxBytes, maxAge, overflow);
    }

    private static HttpConfig ReadHttp(JsonConfigReader? r)
    {
        if (r is null) return new HttpConfig(true, "127.0.0.1", 9110);
        bool enabled = r.Bool("enabled", true);
        var host = r.String("host", "127.0.0.1")!;
        int port = r.Int("port", 9110, 0, 65535);
        r.RejectUnknown();
        return new HttpConfig(enabled, host, port);
    }

    private static PipelineConfig ReadPipeline(JsonConfigReader r, bool haveMqtt)
    {
        var name = r.String("name", required: true)!;
        if (!TopicSafeName().IsMatch(name)) throw r.Error($"{r.Path}.name", $"\"{name}\" must be 1-64 letters, digits, '-' or '_' (it is part of MQTT topics)");
        var source = ReadSource(r.Object("source", required: true)!);
        bool triggered = r.Bool("triggered", false);
        int queue = r.Int("queue", 2, 1, 64);
        var stages = r.Objects("stages", required: true, minCount: 1).Select(s =>
        {
            var type = s.Choice("type", "", "ocr");
            s.RejectUnknown();
            return new StageConfig(type);
        }).ToList();
        var sinks = r.Objects("sinks", required: true, minCount: 1).Select(s =>
        {
            var type = s.Choice("type", "", "mqtt", "snapshot", "log");
            string? path = type == "snapshot" ? s.PathValue("path", required: true) : null;
            int every = type == "snapshot" ? s.Int("every", 1, 1, 1_000_000) : 1;
            if (type == "mqtt" && !haveMqtt) throw s.Error($"{s.Path}.type", "an mqtt sink needs the top-level \"mqtt\" section");
            s.RejectUnknown();
            return new SinkConfig(type, path, every);
        }).ToList();
        r.RejectUnknown();
        return new PipelineConfig(name, source, triggered, queue, stages, sinks);
    }

    private static KioskConfig ReadKiosk(JsonConfigReader r, string stateDirectory)
    {
        var defaults = new KioskOptions();
        double presence = r.Double("presenceCm", defaults.PresenceCentimetres, 2, 400);
        double away = r.Double("awayCm", Math.Max(defaults.AwayCentimetres, presence + 20), 2, 400);
        if (away <= presence) throw r.Error($"{r.Path}.awayCm = {away}", $"must be above presenceCm ({presence}): in between counts as neither close nor gone");
        var display = r.Choice("display", "st7789", "st7789", "ssd1306", "none");
        var festival = r.String("festival");
        if (festival is not null && FestivalCalendar.ById(festival) is null)
            throw r.Error($"{r.Path}.festival = \"{festival}\"", $"is not a festival (allowed: {string.Join(", ", FestivalCalendar.All.Select(f => f.Id))}, {FestivalCalendar.Everyday.Id})");
        int paper = r.Int("paperWidth", 384, 384, 576);
        if (paper is not (384 or 576)) throw r.Error($"{r.Path}.paperWidth = {paper}", "must be 384 (58 mm paper) or 576 (80 mm paper)");
        var wiring = ReadKioskWiring(r.Object("wiring"));
        var camera = ReadSource(r.Object("camera", required: true)!);
        var options = new KioskOptions
        {
            PresenceCentimetres = presence,
            AwayCentimetres = away,
            CloseReadings = r.Int("closeReadings", defaults.CloseReadings, 1, 50),
            AwayReadings = r.Int("awayReadings", defaults.AwayReadings, 1, 50),
            PollInterval = TimeSpan.FromMilliseconds(r.Int("pollMs", 200, 60, 10_000)),
            PreviewCountdown = TimeSpan.FromSeconds(r.Double("previewSeconds", 3, 0, 60)),
            ThankYouDuration = TimeSpan.FromSeconds(r.Double("thankYouSeconds", 3, 0, 60)),
            CoolDown = TimeSpan.FromSeconds(r.Double("coolDownSeconds", 2, 0, 600)),
            OfflineRetryMax = TimeSpan.FromSeconds(r.Double("offlineRetryMaxSeconds", 30, 1, 3600)),
            PaperWidthDots = paper,
            DailyQuota = r.Has("dailyQuota") ? r.Int("dailyQuota", 0, 1, 1_000_000) : null,
            Display = display switch { "st7789" => KioskDisplayKind.St7789, "ssd1306" => KioskDisplayKind.Ssd1306, _ => KioskDisplayKind.None },
            Festival = festival,
            StateDirectory = r.PathValue("stateDirectory", stateDirectory)!,
            Wiring = wiring,
        };
        r.RejectUnknown();
        try { options.Validate(); }
        catch (ArgumentException e) { throw r.Error(r.Path, e.Message); }
        return new KioskConfig(options, camera);
    }

    private static KioskWiring ReadKioskWiring(JsonConfigReader? r)
    {
        var d = new KioskWiring();
        if (r is null) return d;
        // -1: the pin is not wired (RST tied high, backlight always on).
        int? OptionalLine(string name, int? fallback) => r.Int(name, fallback ?? -1, -1, 511) is int n and >= 0 ? n : null;
        var wiring = new KioskWiring
        {
            GpioChip = r.Int("gpioChip", d.GpioChip, 0, 63),
            TriggerLine = r.Int("triggerGpio", d.TriggerLine, 0, 511),
            EchoLine = r.Int("echoGpio", d.EchoLine, 0, 511),
            SpiBus = r.Int("spiBus", d.SpiBus, 0, 15),
            SpiChipSelect = r.Int("spiChipSelect", d.SpiChipSelect, 0, 15),
            SpiSpeedHz = r.Int("spiHz", d.SpiSpeedHz, 100_000, 100_000_000),
            SpiMode = r.Int("spiMode", d.SpiMode, 0, 3),
            DataCommandLine = r.Int("dcGpio", d.DataCommandLine, 0, 511),
            ResetLine = OptionalLine("resetGpio", d.ResetLine),
            BacklightLine = OptionalLine("backlightGpio", d.BacklightLine),
            DisplayWidth = r.Int("displayWidth", d.DisplayWidth, 240, 240),
            DisplayHeight = r.Int("displayHeight", d.DisplayHeight, 240, 320),
            DisplayRotation = r.Int("displayRotation", d.DisplayRotation, 0, 270),
            I2cBus = r.Int("i2cBus", d.I2cBus, 0, 63),
            I2cAddress = r.Int("i2cAddress", d.I2cAddress, 0x03, 0x77),
            Printer = r.String("printer", d.Printer)!,
        };
        if (wiring.DisplayHeight is not (240 or 320)) throw r.Error($"{r.Path}.displayHeight = {wiring.DisplayHeight}", $"must be 240 or 320 (ST7789 panels are 240×240 or 240×320)");
        if (wiring.DisplayRotation % 90 != 0) throw r.Error($"{r.Path}.displayRotation = {wiring.DisplayRotation}", "must be 0, 90, 180 or 270");
        if (wiring.TriggerLine == wiring.EchoLine) throw r.Error($"{r.Path}.echoGpio = {wiring.EchoLine}", "is also triggerGpio: the HC-SR04 needs two lines");
        if (!PrinterAddress().IsMatch(wiring.Printer))
            throw r.Error($"{r.Path}.printer = \"{wiring.Printer}\"", $"must be a device file (/dev/usb/lp0), tcp:HOST:PORT (tcp:192.168.1.50:9100) or serial:DEVICE:BAUD (serial:/dev/ttyS0:19200)");
        r.RejectUnknown();
        return wiring;
    }

    [GeneratedRegex(@"^(/\S+|tcp:[^:\s]+:\d{1,5}|serial:/\S+:\d{3,7})$")]
    private static partial Regex PrinterAddress();

    private static SourceOptions ReadSource(JsonConfigReader r)
    {
        var typeName = r.Choice("type", "", "camera", "rtsp", "video", "images", "test-pattern", "gstreamer");
        var type = typeName switch
        {
            "camera" => SourceType.Camera,
            "rtsp" => SourceType.Rtsp,
            "video" => SourceType.Video,
            "images" => SourceType.Images,
            "test-pattern" => SourceType.TestPattern,
            _ => SourceType.GStreamer,
        };
        var options = new SourceOptions
        {
            Type = type,
            Device = type == SourceType.Camera ? r.String("device", required: true) : null,
            Url = type == SourceType.Rtsp ? r.String("url", required: true) : null,
            Path = type is SourceType.Video or SourceType.Images ? r.PathValue("path", required: true) : null,
            Width = r.Int("width", 0, 0, 16384),
            Height = r.Int("height", 0, 0, 16384),
            Fps = r.Double("fps", 0, 0, 1000),
            Loop = type is SourceType.Video or SourceType.Images && r.Bool("loop", false),
            Pipeline = type == SourceType.GStreamer ? r.String("pipeline", required: true) : null,
            Pattern = type == SourceType.TestPattern ? r.String("pattern") : null,
        };
        r.RejectUnknown();
        try { options.Validate(); }
        catch (ArgumentException e) { throw r.Error(r.Path, e.Message); }
        return options;
    }
}
