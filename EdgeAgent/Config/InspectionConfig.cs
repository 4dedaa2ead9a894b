using System.Drawing;
using System.Globalization;
using Edge.Agent.Capture;
using Edge.Agent.Devices;
using Edge.Agent.Inspection;

namespace Edge.Agent.Config;

/// <summary>Where one inspection line's devices hang: the GPIO chip, the photo-eye input, the reject output, the stack light and the belt encoder.</summary>
/// <param name="Chip">The GPIO character device (/dev/gpiochip0).</param>
/// <param name="PhotoEye">The photo-eye's input line; null in continuous mode, which needs none.</param>
/// <param name="Encoder">The belt encoder's input line (rising edges counted), for timing.rejectAfterCounts; null = none.</param>
/// <param name="PhotoEyeActiveLow">True for an NPN photo-eye that pulls the line low while a part breaks the beam (a pull-up is requested); false for PNP (pull-down).</param>
/// <param name="RejectActiveLow">True for relay boards that switch on a low level.</param>
/// <param name="Acknowledge">A push button's input line that clears a fault (red light) like the MQTT command; null = none.</param>
/// <param name="AcknowledgeActiveLow">True (the default) for a button to ground with a pull-up; false for one to 3.3 V with a pull-down.</param>
/// <param name="AcknowledgeDebounce">The button's kernel debounce.</param>
/// <param name="EncoderActiveLow">True to count the encoder line's falling electrical edges (an open-collector output pulling low).</param>
/// <param name="EncoderBias">The bias requested on the encoder line (as-is by default: the encoder drives it).</param>
/// <param name="EncoderDebounce">The encoder line's kernel debounce (zero for a clean push-pull output).</param>
public sealed record InspectionGpioConfig(
    string Chip, int? PhotoEye, bool PhotoEyeActiveLow, int Reject, bool RejectActiveLow, int? Green, int? Amber, int? Red, int? Encoder = null,
    int? Acknowledge = null, bool AcknowledgeActiveLow = true, TimeSpan? AcknowledgeDebounce = null,
    bool EncoderActiveLow = false, GpioBias EncoderBias = GpioBias.AsIs, TimeSpan EncoderDebounce = default)
{
    /// <summary>The acknowledge button's debounce when none is configured.</summary>
    public static readonly TimeSpan DefaultAcknowledgeDebounce = TimeSpan.FromMilliseconds(20);

    /// <summary>Every line offset this line requests, with its role (for checks and messages).</summary>
    public IEnumerable<(string Role, int Offset)> Lines()
    {
        if (PhotoEye is { } eye) yield return ("photoEye", eye);
        yield return ("reject", Reject);
        if (Green is { } g) yield return ("stackLight.green", g);
        if (Amber is { } a) yield return ("stackLight.amber", a);
        if (Red is { } r) yield return ("stackLight.red", r);
        if (Encoder is { } e) yield return ("encoder", e);
        if (Acknowledge is { } ack) yield return ("acknowledge", ack);
    }
}

/// <summary>How a line finds its parts.</summary>
public enum InspectionMode
{
    /// <summary>A photo-eye press triggers one frame per part ("photo-eye").</summary>
    PhotoEye,
    /// <summary>The camera runs freely; parts are located and tracked in every frame and inspected once as they cross a line ("continuous").</summary>
    Continuous,
}

/// <summary>Continuous mode's settings: where parts are inspected and how they are told from the belt (see <see cref="PartLocator"/>).</summary>
/// <param name="DecisionLineX">Frame x (pixels) at which a part is inspected; parts move towards larger x.</param>
/// <param name="Threshold">Fixed gray level 1..255; 0 = adaptive (<paramref name="Contrast"/> away from the learnt belt, darker or brighter).</param>
public sealed record ContinuousConfig(float DecisionLineX, int Contrast, int MinCells, byte Threshold)
{
    /// <summary>A locator with these settings (one per run: it keeps per-frame buffers).</summary>
    public PartLocator Locator() => new() { Contrast = Contrast, MinCells = MinCells, Threshold = Threshold };
}

/// <summary>
/// One factory line run by the agent: the detection model (a name under models/ or a file), the camera in trigger mode,
/// the GPIO wiring and the line's <see cref="InspectionOptions"/> (rules, timing, light, shifts, snapshots).
/// </summary>
/// <param name="Model">A model name (defect → models/defect/defect.onnx, found as <c>edge detect</c> finds it) or an absolute .onnx path.</param>
/// <param name="Threads">ONNX Runtime intra-op threads; 0 = one per core.</param>
/// <param name="Path">The key path in the config file (inspection.lines[0]), for messages.</param>
/// <param name="Continuous">Continuous mode's settings; set exactly when <paramref name="Mode"/> is <see cref="InspectionMode.Continuous"/>.</param>
/// <param name="Verifier">
/// The second look (<see cref="Edge.Models.Detection.DetectionVerifier"/>): null = the verifier beside the model
/// (<c>models/NAME/NAME-verifier.onnx</c>) when there is one, <c>none</c> = no second look, else the verifier file's absolute path.
/// </param>
/// <param name="VerifierBand">The line's own band for the verifier (its <c>verifierBand</c> key), replacing the file's; null = the file's.</param>
public sealed record InspectionLineConfig(
    string Name, string Model, bool Int8, int Threads, SourceOptions Camera, InspectionGpioConfig Gpio, InspectionOptions Options, string Path,
    InspectionMode Mode = InspectionMode.PhotoEye, ContinuousConfig? Continuous = null, string? Verifier = null,
    Edge.Models.Detection.VerifierBand? VerifierBand = null)
{
    /// <summary>The <see cref="Verifier"/> value (and <c>--verifier</c> argument) that turns the second look off.</summary>
    public const string NoVerifier = "none";
}

/// <summary>The "inspection" section: the factory lines the agent runs.</summary>
public sealed record InspectionConfig(IReadOnlyList<InspectionLineConfig> Lines);

public sealed partial record AgentConfig
{
    /// <summary>The factory-line inspection run by the agent, when the config has an "inspection" section.</summary>
    public InspectionConfig? Inspection { get; init; }

    private static InspectionConfig ReadInspection(JsonConfigReader r, string stateDirectory)
    {
        var lines = r.Objects("lines", required: true, minCount: 1).Select(l => ReadInspectionLine(l, stateDirectory)).ToList();
        r.RejectUnknown();
        var duplicate = lines.GroupBy(l => l.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw r.Error(r.KeyOf("lines"), $"two lines are named \"{duplicate.Key}\": names must be unique");
        // Two lines on one chip must not claim the same GPIO line (the kernel would answer EBUSY at run time).
        var claims = lines.SelectMany(l => l.Gpio.Lines().Select(x => (Line: l, x.Role, x.Offset)))
            .GroupBy(c => (c.Line.Gpio.Chip, c.Offset)).FirstOrDefault(g => g.Count() > 1);
        if (claims is not null)
        {
            var c = claims.ToList();
            throw r.Error($"{c[1].Line.Path}.gpio.{c[1].Role} = {c[1].Offset}",
                $"is also {c[0].Line.Path}.gpio.{c[0].Role} on {claims.Key.Chip}: each GPIO line can drive one thing");
        }
        return new InspectionConfig(lines);
    }

    private static InspectionLineConfig ReadInspectionLine(JsonConfigReader r, string stateDirectory)
    {
        var name = r.String("name", required: true)!;
        if (!TopicSafeName().IsMatch(name)) throw r.Error($"{r.Path}.name", $"\"{name}\" must be 1-64 letters, digits, '-' or '_' (it is part of MQTT topics)");

        var modelText = r.String("model", "defect")!;
        bool modelIsPath = modelText.Contains('/') || modelText.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        var model = modelIsPath ? r.PathValue("model")! : modelText;
        if (!modelIsPath && !TopicSafeName().IsMatch(modelText))
            throw r.Error($"{r.Path}.model = \"{modelText}\"", "must be a model name (defect → models/defect/defect.onnx) or a path to an .onnx file");
        bool int8 = r.Bool("int8", false);
        if (int8 && modelIsPath) throw r.Error($"{r.Path}.int8", "applies to a model name (NAME → models/NAME/NAME-int8.onnx); give the INT8 file's path in model instead");
        int threads = r.Int("threads", 0, 0, 256);
        var verifier = r.String("verifier");
        if (verifier is not null && verifier != InspectionLineConfig.NoVerifier)
        {
            if (verifier.Trim().Length == 0 || !verifier.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                throw r.Error($"{r.Path}.verifier = \"{verifier}\"", $"must be a path to the verifier's .onnx file, or \"{InspectionLineConfig.NoVerifier}\" for no second look (default: the model's NAME-verifier.onnx beside it, when there is one)");
            verifier = r.PathValue("verifier");
        }
        Edge.Models.Detection.VerifierBand? band = null;
        if (r.Object("verifierBand") is { } b)
        {
            if (verifier == InspectionLineConfig.NoVerifier)
                throw b.Error(b.Path, $"applies to a second look, and {r.Path}.verifier is \"none\": remove one of them");
            foreach (var key in new[] { "from", "min" })
                if (!b.Has(key)) throw b.Error($"{b.Path}.{key}", "is required: a band is {\"from\": detector score, \"min\": verifier probability}, with an optional \"to\"");
            float from = (float)b.Double("from", 0, 0, 1), min = (float)b.Double("min", 0, 0, 1);
            float? to = b.Has("to") ? (float)b.Double("to", 1, 0, 1) : null;
            if (to <= from) throw b.Error($"{b.Path}.to = {to}", $"must be above from ({from}): from it up to to the verifier decides alone");
            b.RejectUnknown();
            band = new(from, to, min);
        }
        var mode = r.Choice("mode", "photo-eye", "photo-eye", "continuous") == "continuous" ? InspectionMode.Continuous : InspectionMode.PhotoEye;
        var continuousReader = r.Object("continuous", required: mode == InspectionMode.Continuous);
        if (continuousReader is not null && mode != InspectionMode.Continuous)
            throw r.Error($"{r.Path}.continuous", "applies to \"mode\": \"continuous\" only: set the mode or remove the object");
        ContinuousConfig? continuous = null;
        if (continuousReader is { } c)
        {
            if (!c.Has("decisionLineX")) throw c.Error($"{c.Path}.decisionLineX", "is required: the frame x (pixels) at which a part is inspected (parts move towards larger x)");
            continuous = new ContinuousConfig((float)c.Double("decisionLineX", 0, 0, 100_000), c.Int("contrast", 10, 1, 255),
                c.Int("minCells", 150, 1, 10_000_000), (byte)c.Int("threshold", 0, 0, 255));
            c.RejectUnknown();
        }
        var camera = ReadSource(r.Object("camera", required: true)!);
        var gpio = ReadInspectionGpio(r.Object("gpio", required: true)!, photoEyeRequired: mode == InspectionMode.PhotoEye);

        var options = new InspectionOptions { Line = name };
        if (r.Object("rules") is { } rules) options = ReadInspectionRules(rules, options);
        if (r.Object("timing") is { } timing) options = ReadInspectionTiming(timing, options, gpio);
        if (r.Object("light") is { } light)
        {
            options = options with
            {
                AmberYieldBelow = light.Double("amberYieldBelow", options.AmberYieldBelow, 0, 1),
                YieldWindow = light.Int("yieldWindow", options.YieldWindow, 1, 100_000),
                AmberAfterLateFor = light.Int("amberAfterLateParts", options.AmberAfterLateFor, 0, 100_000),
            };
            light.RejectUnknown();
        }
        var snapshots = r.Object("snapshots");
        bool keepSnapshots = snapshots?.Bool("enabled", true) ?? true;
        var snapshotPath = snapshots?.PathValue("path") ?? System.IO.Path.Combine(stateDirectory, "defects", name);
        options = options with
        {
            SnapshotFolder = keepSnapshots ? snapshotPath : null,
            SnapshotMaxFiles = snapshots?.Int("maxFiles", options.SnapshotMaxFiles, 1, 10_000_000) ?? options.SnapshotMaxFiles,
            SnapshotMaxAge = TimeSpan.FromHours(snapshots?.Double("maxAgeHours", options.SnapshotMaxAge.TotalHours, 0.01, 24 * 365 * 10) ?? options.SnapshotMaxAge.TotalHours),
            SnapshotQueue = snapshots?.Int("queue", options.SnapshotQueue, 1, 1024) ?? options.SnapshotQueue,
        };
        snapshots?.RejectUnknown();
        if (r.Strings("shifts") is { } shifts)
        {
            var starts = new List<TimeOnly>(shifts.Count);
            for (int i = 0; i < shifts.Count; i++)
            {
                if (!TimeOnly.TryParseExact(shifts[i], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
                    throw r.Error($"{r.Path}.shifts[{i}] = \"{shifts[i]}\"", "must be a local time of day as HH:mm (06:00)");
                if (starts.Contains(t)) throw r.Error($"{r.Path}.shifts[{i}] = \"{shifts[i]}\"", "is listed twice: shift starts must be distinct");
                starts.Add(t);
            }
            options = options with { ShiftStarts = starts };
        }
        r.RejectUnknown();
        try { options.Validate(); }
        catch (ArgumentException e) { throw r.Error(r.Path, e.Message); }
        return new InspectionLineConfig(name, model, int8, threads, camera, gpio, options, r.Path, mode, continuous, verifier, band);
    }

    private static InspectionGpioConfig ReadInspectionGpio(JsonConfigReader r, bool photoEyeRequired)
    {
        var chip = r.String("chip", "/dev/gpiochip0")!;
        if (!chip.StartsWith('/')) throw r.Error($"{r.Path}.chip = \"{chip}\"", "must be the chip's device file, e.g. /dev/gpiochip0 (gpiodetect lists them; /dev/gpiochip4 on a Pi 5 with an early kernel)");
        int? eye = r.Has("photoEye") ? r.Int("photoEye", 0, 0, 511) : null;
        if (eye is null && photoEyeRequired) throw r.Error($"{r.Path}.photoEye", "is required: the GPIO line (BCM number on a Pi) of the photo-eye (not needed with \"mode\": \"continuous\")");
        bool eyeLow = r.Bool("photoEyeActiveLow", false);
        int reject = r.Int("reject", 0, 0, 511);
        if (!r.Has("reject")) throw r.Error($"{r.Path}.reject", "is required: the GPIO line of the reject actuator's relay or valve driver");
        bool rejectLow = r.Bool("rejectActiveLow", false);
        int? green = null, amber = null, red = null;
        if (r.Object("stackLight") is { } light)
        {
            int? Lamp(string key) => light.Has(key) ? light.Int(key, 0, 0, 511) : null;
            (green, amber, red) = (Lamp("green"), Lamp("amber"), Lamp("red"));
            light.RejectUnknown();
        }
        int? encoder = r.Has("encoder") ? r.Int("encoder", 0, 0, 511) : null;
        bool encoderLow = r.Bool("encoderActiveLow", false);
        var encoderBias = r.Choice("encoderBias", "as-is", "as-is", "pull-up", "pull-down", "disabled") switch
        {
            "pull-up" => GpioBias.PullUp,
            "pull-down" => GpioBias.PullDown,
            "disabled" => GpioBias.Disabled,
            _ => GpioBias.AsIs,
        };
        int encoderDebounceUs = r.Int("encoderDebounceUs", 0, 0, 1_000_000);
        if (encoder is null)
            foreach (var key in (string[])["encoderActiveLow", "encoderBias", "encoderDebounceUs"])
                if (r.Has(key)) throw r.Error($"{r.Path}.{key}", $"applies with {r.Path}.encoder only: set the encoder's input line or remove the key");
        int? acknowledge = r.Has("acknowledge") ? r.Int("acknowledge", 0, 0, 511) : null;
        bool ackLow = r.Bool("acknowledgeActiveLow", true);
        double ackDebounce = r.Double("acknowledgeDebounceMs", InspectionGpioConfig.DefaultAcknowledgeDebounce.TotalMilliseconds, 0, 1000);
        if (acknowledge is null)
            foreach (var key in (string[])["acknowledgeActiveLow", "acknowledgeDebounceMs"])
                if (r.Has(key)) throw r.Error($"{r.Path}.{key}", $"applies with {r.Path}.acknowledge only: set the button's input line or remove the key");
        r.RejectUnknown();
        var config = new InspectionGpioConfig(chip, eye, eyeLow, reject, rejectLow, green, amber, red, encoder,
            acknowledge, ackLow, TimeSpan.FromMilliseconds(ackDebounce), encoderLow, encoderBias, TimeSpan.FromMicroseconds(encoderDebounceUs));
        var clash = config.Lines().GroupBy(l => l.Offset).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            var roles = clash.Select(c => c.Role).ToList();
            throw r.Error($"{r.Path}.{roles[1]} = {clash.Key}", $"is also {r.Path}.{roles[0]}: each GPIO line can drive one thing");
        }
        return config;
    }

    private static InspectionOptions ReadInspectionRules(JsonConfigReader r, InspectionOptions options)
    {
        var classes = r.Strings("classes", minCount: 1);
        float? minScore = r.Has("minScore") ? (float)r.Double("minScore", 0, 0, 1) : options.MinScore;
        var byClass = r.NumberMap("minScoreByClass", 0, 1);
        float minArea = (float)r.Double("minAreaPx", 0, 0, 1e9);
        var regions = r.NumberTuples("regions", 4, "boxes [x1, y1, x2, y2] in image pixels") ?? [];
        for (int i = 0; i < regions.Count; i++)
        {
            var b = regions[i];
            if (!(b[2] > b[0] && b[3] > b[1]))
                throw r.Error($"{r.KeyOf("regions")}[{i}] = [{string.Join(", ", b)}]", "must have x2 > x1 and y2 > y1");
        }
        r.RejectUnknown();
        return options with
        {
            RejectClasses = classes,
            MinScore = minScore,
            MinScoreByClass = byClass?.ToDictionary(kv => kv.Key, kv => (float)kv.Value),
            MinAreaPx = minArea,
            Regions = regions.Select(b => RectangleF.FromLTRB((float)b[0], (float)b[1], (float)b[2], (float)b[3])).ToList(),
        };
    }

    private static InspectionOptions ReadInspectionTiming(JsonConfigReader r, InspectionOptions options, InspectionGpioConfig gpio)
    {
        int afterCounts = r.Int("rejectAfterCounts", 0, 1, 10_000_000);
        if (r.Has("rejectAfterCounts"))
        {
            if (r.Has("rejectDelayMs"))
                throw r.Error($"{r.Path}.rejectAfterCounts", "and rejectDelayMs are alternatives: time the reject by encoder counts or by milliseconds, not both");
            if (gpio.Encoder is null)
                throw r.Error($"{r.Path}.rejectAfterCounts = {afterCounts}", $"needs an encoder: set {r.Path[..r.Path.LastIndexOf('.')]}.gpio.encoder to the encoder's input line");
        }
        int leadCounts = r.Int("actuatorLeadCounts", 0, 0, 10_000_000);
        if (r.Has("actuatorLeadCounts"))
        {
            if (afterCounts == 0) throw r.Error($"{r.Path}.actuatorLeadCounts = {leadCounts}", "applies with rejectAfterCounts only (with rejectDelayMs use actuatorLeadMs)");
            if (leadCounts >= afterCounts) throw r.Error($"{r.Path}.actuatorLeadCounts = {leadCounts}", $"must be below rejectAfterCounts ({afterCounts}): the decision deadline is the count at the trigger + rejectAfterCounts − actuatorLeadCounts");
        }
        double delay = r.Double("rejectDelayMs", options.RejectDelay.TotalMilliseconds, 1, 60_000);
        double pulse = r.Double("pulseMs", options.PulseWidth.TotalMilliseconds, 1, 5_000);
        double lead = r.Double("actuatorLeadMs", Math.Min(options.ActuatorLead.TotalMilliseconds, delay / 2), 0, 60_000);
        if (lead >= delay) throw r.Error($"{r.Path}.actuatorLeadMs = {lead}", $"must be below rejectDelayMs ({delay}): the decision deadline is trigger + rejectDelayMs − actuatorLeadMs");
        var policy = r.Choice("latePolicy", "reject", "reject", "pass") == "reject" ? FailSafePolicy.Reject : FailSafePolicy.PassAndAlert;
        double debounce = r.Double("debounceMs", options.PhotoEyeDebounce.TotalMilliseconds, 0, 1000);
        if (debounce >= delay - lead) throw r.Error($"{r.Path}.debounceMs = {debounce}", $"must be below the decision deadline (rejectDelayMs − actuatorLeadMs = {delay - lead} ms)");
        r.RejectUnknown();
        return options with
        {
            RejectAfterCounts = afterCounts,
            ActuatorLeadCounts = leadCounts,
            RejectDelay = TimeSpan.FromMilliseconds(delay),
            PulseWidth = TimeSpan.FromMilliseconds(pulse),
            ActuatorLead = TimeSpan.FromMilliseconds(lead),
            LatePolicy = policy,
            PhotoEyeDebounce = TimeSpan.FromMilliseconds(debounce),
        };
    }
}
