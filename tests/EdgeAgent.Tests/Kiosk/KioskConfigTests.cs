using Edge.Agent.Capture;
using Edge.Agent.Config;
using Edge.Agent.Kiosk;

namespace Edge.Agent.Tests.Kiosk;

public sealed class KioskConfigTests
{
    private const string File = "/etc/edge/agent.json";

    // The Raspberry Pi example of docs/config.md and docs/kiosk.md.
    private const string PiKiosk = """
        { "device": { "id": "kiosk-01" },
          "mqtt": { "host": "127.0.0.1" },
          "kiosk": {
            "presenceCm": 60, "closeReadings": 3, "pollMs": 200, "previewSeconds": 3,
            "thankYouSeconds": 3, "coolDownSeconds": 2, "paperWidth": 384, "dailyQuota": 300, "display": "st7789",
            "camera": { "type": "camera", "device": "/dev/video0", "width": 1280, "height": 720 },
            "wiring": { "gpioChip": 0, "triggerGpio": 23, "echoGpio": 24, "spiBus": 0, "spiChipSelect": 0,
                        "dcGpio": 25, "resetGpio": 27, "backlightGpio": 18, "printer": "/dev/usb/lp0" } } }
        """;

    private static string Error(string json) => Assert.Throws<ConfigException>(() => AgentConfig.Parse(json, File)).Message;

    private static string WithKiosk(string kiosk) =>
        $$"""{ "device": { "id": "k" }, "kiosk": { "camera": { "type": "camera", "device": "/dev/video0" }, {{kiosk}} } }""";

    [Fact]
    public void The_documented_Raspberry_Pi_kiosk_loads_without_any_pipeline()
    {
        var c = AgentConfig.Parse(PiKiosk, File);
        Assert.Empty(c.Pipelines);
        var k = c.Kiosk!;
        Assert.Equal(300, k.Options.DailyQuota);
        Assert.Equal(KioskDisplayKind.St7789, k.Options.Display);
        Assert.Equal(TimeSpan.FromSeconds(3), k.Options.PreviewCountdown);
        Assert.Equal((0, 23, 24, 25, 27, 18), (k.Options.Wiring.GpioChip, k.Options.Wiring.TriggerLine, k.Options.Wiring.EchoLine,
            k.Options.Wiring.DataCommandLine, k.Options.Wiring.ResetLine, k.Options.Wiring.BacklightLine));
        Assert.Equal("/dev/usb/lp0", k.Options.Wiring.Printer);
        Assert.Equal(SourceType.Camera, k.Camera.Type);
    }

    [Theory]
    [InlineData("\"paperWidth\": 500", "kiosk.paperWidth = 500", "384")]
    [InlineData("\"dailyQuota\": 0", "kiosk.dailyQuota = 0", "1..1000000")]
    [InlineData("\"display\": \"lcd\"", "kiosk.display = \"lcd\"", "st7789, ssd1306, none")]
    [InlineData("\"presenceCm\": 80, \"awayCm\": 50", "kiosk.awayCm", "above presenceCm")]
    [InlineData("\"festival\": \"easter\"", "kiosk.festival", "spring-festival")]
    [InlineData("\"pollMs\": 10", "kiosk.pollMs = 10", "60..10000")]
    [InlineData("\"wiring\": { \"printer\": \"lp0\" }", "kiosk.wiring.printer", "tcp:HOST:PORT")]
    [InlineData("\"wiring\": { \"triggerGpio\": 5, \"echoGpio\": 5 }", "kiosk.wiring.echoGpio", "two lines")]
    [InlineData("\"wiring\": { \"trig\": 5 }", "kiosk.wiring.trig", "unknown key")]
    [InlineData("\"quota\": 5", "kiosk.quota", "unknown key")]
    public void A_bad_kiosk_value_names_the_key_the_value_and_what_is_allowed(string kiosk, string key, string allowed)
    {
        var message = Error(WithKiosk(kiosk));
        Assert.Contains(key, message);
        Assert.Contains(allowed, message);
    }

    [Theory]
    [InlineData("tcp:192.168.1.50:9100")]
    [InlineData("serial:/dev/ttyS0:19200")]
    [InlineData("/dev/usb/lp0")]
    public void The_printer_is_a_device_file_a_tcp_address_or_a_serial_port(string printer)
    {
        var c = AgentConfig.Parse(WithKiosk($"\"wiring\": {{ \"printer\": \"{printer}\" }}"), File);
        Assert.Equal(printer, c.Kiosk!.Options.Wiring.Printer);
    }

    [Fact]
    public void The_kiosk_needs_a_camera()
    {
        Assert.Contains("kiosk.camera: is required", Error("""{ "device": { "id": "k" }, "kiosk": { } }"""));
    }
}
