using Edge.Agent.Capture;
using Edge.Agent.Config;
using Edge.Agent.Devices;
using Edge.Agent.Inspection;

namespace Edge.Agent.Tests.Inspection;

public sealed class InspectionConfigTests
{
    private const string File = "/etc/edge/agent.json";

    // The Raspberry Pi example of docs/config.md.
    internal const string PiLine = """
        { "device": { "id": "press-07" },
          "mqtt": { "host": "192.168.1.10" },
          "outbox": { "path": "/var/lib/edge/outbox.db" },
          "inspection": {
            "lines": [
              { "name": "line1",
                "model": "defect",
                "int8": false,
                "camera": { "type": "camera", "device": "libcamera", "width": 640, "height": 480 },
                "gpio": { "chip": "/dev/gpiochip0", "photoEye": 17, "reject": 27,
                          "stackLight": { "green": 5, "amber": 6, "red": 13 } },
                "rules": { "classes": ["scratch", "dent", "missing_hole"], "minScore": 0.3,
                           "minScoreByClass": { "scratch": 0.45 }, "minAreaPx": 16, "regions": [[0, 40, 640, 440]] },
                "timing": { "rejectDelayMs": 500, "pulseMs": 40, "actuatorLeadMs": 20, "latePolicy": "reject" },
                "light": { "amberYieldBelow": 0.95, "yieldWindow": 200, "amberAfterLateParts": 20 },
                "snapshots": { "path": "/var/lib/edge/defects", "maxFiles": 1000, "maxAgeHours": 72 },
                "shifts": ["06:00", "14:00", "22:00"] } ] } }
        """;

    private static string Error(string json) => Assert.Throws<ConfigException>(() => AgentConfig.Parse(json, File)).Message;

    private static string WithLine(string extra, string gpio = "\"photoEye\": 17, \"reject\": 27") =>
        $$"""
        { "device": { "id": "d" }, "inspection": { "lines": [ { "name": "line1",
            "camera": { "type": "camera", "device": "/dev/video0" }, "gpio": { {{gpio}} }{{(extra.Length > 0 ? ", " + extra : "")}} } ] } }
        """;

    [Fact]
    public void The_documented_Raspberry_Pi_line_loads_without_any_pipeline()
    {
        var c = AgentConfig.Parse(PiLine, File);
        Assert.Empty(c.Pipelines);
        var line = Assert.Single(c.Inspection!.Lines);
        Assert.Equal(("line1", "defect", false), (line.Name, line.Model, line.Int8));
        Assert.Equal(SourceType.Camera, line.Camera.Type);
        Assert.Equal(("/dev/gpiochip0", 17, 27, 5, 6, 13), (line.Gpio.Chip, line.Gpio.PhotoEye, line.Gpio.Reject, line.Gpio.Green, line.Gpio.Amber, line.Gpio.Red));
        var o = line.Options;
        Assert.Equal("line1", o.Line);
        Assert.Equal(["scratch", "dent", "missing_hole"], o.RejectClasses!);
        Assert.Equal(0.3f, o.MinScore);
        Assert.Equal(0.45f, o.MinScoreByClass!["scratch"]);
        Assert.Equal(16f, o.MinAreaPx);
        Assert.Equal(System.Drawing.RectangleF.FromLTRB(0, 40, 640, 440), Assert.Single(o.Regions));
        Assert.Equal((500, 40, 20), (o.RejectDelay.TotalMilliseconds, o.PulseWidth.TotalMilliseconds, o.ActuatorLead.TotalMilliseconds));
        Assert.Equal(FailSafePolicy.Reject, o.LatePolicy);
        Assert.Equal((0.95, 200, 20), (o.AmberYieldBelow, o.YieldWindow, o.AmberAfterLateFor));
        Assert.Equal(("/var/lib/edge/defects", 1000, 72.0), (o.SnapshotFolder, o.SnapshotMaxFiles, o.SnapshotMaxAge.TotalHours));
        Assert.Equal([new TimeOnly(6, 0), new TimeOnly(14, 0), new TimeOnly(22, 0)], o.ShiftStarts);
    }

    [Fact]
    public void Defaults_give_a_line_with_snapshots_beside_the_outbox_and_the_reject_policy()
    {
        var line = Assert.Single(AgentConfig.Parse(WithLine(""), File).Inspection!.Lines);
        Assert.Equal("defect", line.Model);
        Assert.Equal("/dev/gpiochip0", line.Gpio.Chip);
        Assert.False(line.Gpio.PhotoEyeActiveLow);
        Assert.Null(line.Gpio.Green);
        Assert.Null(line.Options.RejectClasses);
        Assert.Null(line.Options.MinScore); // unset: the model's recommended scores, else 0.25
        Assert.Null(line.Options.MinScoreByClass);
        Assert.Equal(FailSafePolicy.Reject, line.Options.LatePolicy);
        Assert.Equal(TimeSpan.FromMilliseconds(500), line.Options.RejectDelay);
        Assert.Equal("/var/lib/edge/defects/line1".Replace('/', Path.DirectorySeparatorChar), line.Options.SnapshotFolder);
        Assert.Equal("/dev/video0", line.Camera.Device);
    }

    [Theory]
    [InlineData("\"timing\": { \"rejectDelayMs\": 0 }", "inspection.lines[0].timing.rejectDelayMs = 0", "1..60000")]
    [InlineData("\"timing\": { \"rejectDelayMs\": 100, \"actuatorLeadMs\": 150 }", "inspection.lines[0].timing.actuatorLeadMs = 150", "below rejectDelayMs")]
    [InlineData("\"timing\": { \"latePolicy\": \"ignore\" }", "inspection.lines[0].timing.latePolicy = \"ignore\"", "reject, pass")]
    [InlineData("\"rules\": { \"minScore\": 2 }", "inspection.lines[0].rules.minScore = 2", "0..1")]
    [InlineData("\"rules\": { \"regions\": [[10, 10, 5, 20]] }", "inspection.lines[0].rules.regions[0]", "x2 > x1")]
    [InlineData("\"rules\": { \"minScoreByClass\": { \"dent\": 1.5 } }", "inspection.lines[0].rules.minScoreByClass.dent = 1.5", "0..1")]
    [InlineData("\"shifts\": [\"6am\"]", "inspection.lines[0].shifts[0] = \"6am\"", "HH:mm")]
    [InlineData("\"snapshots\": { \"maxFiles\": 0 }", "inspection.lines[0].snapshots.maxFiles = 0", "1..10000000")]
    [InlineData("\"model\": \"defect\", \"int8\": \"yes\"", "inspection.lines[0].int8 = \"yes\"", "true or false")]
    [InlineData("\"model\": \"/opt/m.onnx\", \"int8\": true", "inspection.lines[0].int8", "INT8 file's path")]
    [InlineData("\"rejectDelay\": 5", "inspection.lines[0].rejectDelay: unknown key", "timing")]
    [InlineData("\"timing\": { \"rejectAfterCounts\": 400 }", "inspection.lines[0].timing.rejectAfterCounts = 400", "needs an encoder: set inspection.lines[0].gpio.encoder")]
    [InlineData("\"timing\": { \"rejectAfterCounts\": 0 }", "inspection.lines[0].timing.rejectAfterCounts = 0", "1..10000000")]
    [InlineData("\"timing\": { \"actuatorLeadCounts\": 5 }", "inspection.lines[0].timing.actuatorLeadCounts = 5", "with rejectAfterCounts only")]
    [InlineData("\"mode\": \"belt\"", "inspection.lines[0].mode = \"belt\"", "photo-eye, continuous")]
    [InlineData("\"mode\": \"continuous\"", "inspection.lines[0].continuous", "is required")]
    [InlineData("\"mode\": \"continuous\", \"continuous\": { }", "inspection.lines[0].continuous.decisionLineX", "is required")]
    [InlineData("\"mode\": \"continuous\", \"continuous\": { \"decisionLineX\": 320, \"contrast\": 0 }", "inspection.lines[0].continuous.contrast = 0", "1..255")]
    [InlineData("\"mode\": \"continuous\", \"continuous\": { \"decisionLineX\": 320, \"speed\": 3 }", "inspection.lines[0].continuous.speed: unknown key", "")]
    [InlineData("\"continuous\": { \"decisionLineX\": 320 }", "inspection.lines[0].continuous", "applies to \"mode\": \"continuous\" only")]
    public void A_bad_value_names_the_key_the_value_and_what_is_allowed(string extra, string key, string allowed)
    {
        var message = Error(WithLine(extra));
        Assert.Contains(key, message);
        Assert.Contains(allowed, message);
    }

    [Theory]
    [InlineData("\"photoEye\": 17", "inspection.lines[0].gpio.reject", "is required")]
    [InlineData("\"photoEye\": 17, \"reject\": 17", "inspection.lines[0].gpio.reject = 17", "is also inspection.lines[0].gpio.photoEye")]
    [InlineData("\"photoEye\": 17, \"reject\": 600", "inspection.lines[0].gpio.reject = 600", "0..511")]
    [InlineData("\"chip\": \"gpiochip0\", \"photoEye\": 17, \"reject\": 27", "inspection.lines[0].gpio.chip = \"gpiochip0\"", "/dev/gpiochip0")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"stackLight\": { \"red\": 27 }", "stackLight.red = 27", "is also")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoder\": 17", "inspection.lines[0].gpio.encoder = 17", "is also inspection.lines[0].gpio.photoEye")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoder\": 27", "inspection.lines[0].gpio.encoder = 27", "is also inspection.lines[0].gpio.reject")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoder\": 6, \"stackLight\": { \"amber\": 6 }", "inspection.lines[0].gpio.encoder = 6", "is also inspection.lines[0].gpio.stackLight.amber")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoder\": 512", "inspection.lines[0].gpio.encoder = 512", "0..511")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"acknowledge\": 17", "inspection.lines[0].gpio.acknowledge = 17", "is also inspection.lines[0].gpio.photoEye")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"acknowledge\": 13, \"stackLight\": { \"red\": 13 }", "inspection.lines[0].gpio.acknowledge = 13", "is also inspection.lines[0].gpio.stackLight.red")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"acknowledge\": 600", "inspection.lines[0].gpio.acknowledge = 600", "0..511")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"acknowledge\": 26, \"acknowledgeDebounceMs\": 2000", "inspection.lines[0].gpio.acknowledgeDebounceMs = 2000", "0..1000")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"acknowledgeActiveLow\": false", "inspection.lines[0].gpio.acknowledgeActiveLow", "applies with inspection.lines[0].gpio.acknowledge only")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoderActiveLow\": true", "inspection.lines[0].gpio.encoderActiveLow", "applies with inspection.lines[0].gpio.encoder only")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoderBias\": \"pull-up\"", "inspection.lines[0].gpio.encoderBias", "applies with inspection.lines[0].gpio.encoder only")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoderDebounceUs\": 10", "inspection.lines[0].gpio.encoderDebounceUs", "applies with inspection.lines[0].gpio.encoder only")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoder\": 22, \"encoderActiveLow\": \"yes\"", "inspection.lines[0].gpio.encoderActiveLow = \"yes\"", "true or false")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoder\": 22, \"encoderBias\": \"pullup\"", "inspection.lines[0].gpio.encoderBias = \"pullup\"", "must be one of as-is, pull-up, pull-down, disabled")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoder\": 22, \"encoderDebounceUs\": -1", "inspection.lines[0].gpio.encoderDebounceUs = -1", "0..1000000")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoder\": 22, \"encoderDebounceUs\": 1000001", "inspection.lines[0].gpio.encoderDebounceUs = 1000001", "0..1000000")]
    [InlineData("\"photoEye\": 17, \"reject\": 27, \"encoder\": 22, \"encoderDebounceUs\": 2.5", "inspection.lines[0].gpio.encoderDebounceUs = 2.5", "whole number")]
    public void Wiring_mistakes_name_the_gpio_key(string gpio, string key, string rule)
    {
        var message = Error(WithLine("", gpio));
        Assert.Contains(key, message);
        Assert.Contains(rule, message);
    }

    [Fact]
    public void Two_lines_may_not_share_a_name_or_a_gpio_line()
    {
        const string Line = """{ "name": "NAME", "camera": { "type": "camera", "device": "/dev/video0" }, "gpio": { "photoEye": EYE, "reject": REJ } }""";
        string Config(string a, string b) => $$"""{ "device": { "id": "d" }, "inspection": { "lines": [ {{a}}, {{b}} ] } }""";
        string L(string name, int eye, int reject) => Line.Replace("NAME", name).Replace("EYE", eye.ToString()).Replace("REJ", reject.ToString());

        Assert.Contains("two lines are named \"a\"", Error(Config(L("a", 1, 2), L("a", 3, 4))));
        var shared = Error(Config(L("a", 1, 2), L("b", 3, 2)));
        Assert.Contains("inspection.lines[1].gpio.reject = 2", shared);
        Assert.Contains("inspection.lines[0].gpio.reject", shared);
        Assert.Equal(2, AgentConfig.Parse(Config(L("a", 1, 2), L("b", 3, 4)), File).Inspection!.Lines.Count);
    }

    [Fact]
    public void A_config_without_pipelines_kiosk_or_inspection_still_needs_pipelines()
    {
        Assert.Contains("pipelines: is required", Error("""{ "device": { "id": "d" } }"""));
    }

    [Theory]
    [InlineData("\"rejectAfterCounts\": 400, \"rejectDelayMs\": 300", "inspection.lines[0].timing.rejectAfterCounts", "alternatives")]
    [InlineData("\"rejectAfterCounts\": 400, \"actuatorLeadCounts\": 400", "inspection.lines[0].timing.actuatorLeadCounts = 400", "below rejectAfterCounts (400)")]
    public void Encoder_timing_mistakes_name_the_timing_key(string timing, string key, string rule)
    {
        var message = Error(WithLine($"\"timing\": {{ {timing} }}", "\"photoEye\": 17, \"reject\": 27, \"encoder\": 22"));
        Assert.Contains(key, message);
        Assert.Contains(rule, message);
    }

    [Fact]
    public void An_encoder_line_defaults_to_active_high_as_is_without_debounce()
    {
        var g = Assert.Single(AgentConfig.Parse(WithLine("", "\"photoEye\": 17, \"reject\": 27, \"encoder\": 22"), File).Inspection!.Lines).Gpio;
        Assert.Equal((22, false, GpioBias.AsIs, TimeSpan.Zero), (g.Encoder, g.EncoderActiveLow, g.EncoderBias, g.EncoderDebounce));
    }

    [Theory]
    [InlineData("as-is", GpioBias.AsIs)]
    [InlineData("pull-up", GpioBias.PullUp)]
    [InlineData("pull-down", GpioBias.PullDown)]
    [InlineData("disabled", GpioBias.Disabled)]
    public void An_encoder_line_takes_its_active_level_bias_and_debounce_from_the_config(string bias, GpioBias expected)
    {
        var gpio = $"\"photoEye\": 17, \"reject\": 27, \"encoder\": 22, \"encoderActiveLow\": true, \"encoderBias\": \"{bias}\", \"encoderDebounceUs\": 250";
        var g = Assert.Single(AgentConfig.Parse(WithLine("", gpio), File).Inspection!.Lines).Gpio;
        Assert.Equal((true, expected, TimeSpan.FromMicroseconds(250)), (g.EncoderActiveLow, g.EncoderBias, g.EncoderDebounce));
    }

    [Fact]
    public void An_acknowledge_button_defaults_to_active_low_with_a_20_ms_debounce_and_is_claimed_like_the_other_lines()
    {
        var line = Assert.Single(AgentConfig.Parse(WithLine("", "\"photoEye\": 17, \"reject\": 27, \"acknowledge\": 26"), File).Inspection!.Lines);
        Assert.Equal((26, true, TimeSpan.FromMilliseconds(20)), (line.Gpio.Acknowledge, line.Gpio.AcknowledgeActiveLow, line.Gpio.AcknowledgeDebounce));
        Assert.Contains(("acknowledge", 26), line.Gpio.Lines());
        var pnp = Assert.Single(AgentConfig.Parse(WithLine("", "\"photoEye\": 17, \"reject\": 27, \"acknowledge\": 26, \"acknowledgeActiveLow\": false, \"acknowledgeDebounceMs\": 5"), File).Inspection!.Lines);
        Assert.Equal((false, TimeSpan.FromMilliseconds(5)), (pnp.Gpio.AcknowledgeActiveLow, pnp.Gpio.AcknowledgeDebounce));
        Assert.Null(AgentConfig.Parse(WithLine(""), File).Inspection!.Lines[0].Gpio.Acknowledge);

        // Another line's button on the same chip may not take this line's photo-eye.
        const string two = """
            { "device": { "id": "d" }, "inspection": { "lines": [
              { "name": "a", "camera": { "type": "camera", "device": "/dev/video0" }, "gpio": { "photoEye": 1, "reject": 2 } },
              { "name": "b", "camera": { "type": "camera", "device": "/dev/video1" }, "gpio": { "photoEye": 3, "reject": 4, "acknowledge": 1 } } ] } }
            """;
        var shared = Error(two);
        Assert.Contains("inspection.lines[1].gpio.acknowledge = 1", shared);
        Assert.Contains("inspection.lines[0].gpio.photoEye", shared);
    }

    [Fact]
    public void An_encoder_line_gives_count_timing_and_is_claimed_like_the_other_lines()
    {
        var line = Assert.Single(AgentConfig.Parse(WithLine("\"timing\": { \"rejectAfterCounts\": 400, \"actuatorLeadCounts\": 25 }",
            "\"photoEye\": 17, \"reject\": 27, \"encoder\": 22"), File).Inspection!.Lines);
        Assert.Equal(22, line.Gpio.Encoder);
        Assert.Contains(("encoder", 22), line.Gpio.Lines());
        Assert.Equal((400, 25, true), (line.Options.RejectAfterCounts, line.Options.ActuatorLeadCounts, line.Options.UsesEncoder));
        Assert.Equal(InspectionMode.PhotoEye, line.Mode);
        Assert.Null(line.Continuous);
    }

    [Fact]
    public void Continuous_mode_needs_no_photo_eye_and_takes_the_locator_settings()
    {
        var line = Assert.Single(AgentConfig.Parse(WithLine(
            "\"mode\": \"continuous\", \"continuous\": { \"decisionLineX\": 320, \"contrast\": 20, \"minCells\": 400, \"threshold\": 90 }",
            "\"reject\": 27"), File).Inspection!.Lines);
        Assert.Equal(InspectionMode.Continuous, line.Mode);
        Assert.Null(line.Gpio.PhotoEye);
        Assert.DoesNotContain(line.Gpio.Lines(), l => l.Role == "photoEye");
        Assert.Equal(new ContinuousConfig(320, 20, 400, 90), line.Continuous);
        var locator = line.Continuous!.Locator();
        Assert.Equal((20, 400, (byte)90), (locator.Contrast, locator.MinCells, locator.Threshold));
        var defaults = Assert.Single(AgentConfig.Parse(WithLine("\"mode\": \"continuous\", \"continuous\": { \"decisionLineX\": 100 }", "\"reject\": 27"), File).Inspection!.Lines);
        // The config's defaults are the locator's own.
        var plain = new PartLocator();
        Assert.Equal(new ContinuousConfig(100, plain.Contrast, plain.MinCells, 0), defaults.Continuous);
        Assert.Contains("inspection.lines[0].gpio.photoEye", Error(WithLine("", "\"reject\": 27")));
    }
}
