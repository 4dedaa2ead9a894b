using System.Text.Json;
using Edge.Agent.Capture;
using Edge.Agent.Config;
using Edge.Agent.Devices;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Diagnostics;
using Edge.Agent.Hosting;
using Edge.Agent.Kiosk;
using Edge.Agent.Outbox;
using Edge.Models.Imaging;
using Edge.Models.Synthetic;
using Edge.Models.Text;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Agent.Tests.Kiosk;

/// <summary>The kiosk's real-device adapters as the agent runs them: missing devices, the printer address, the camera, alerts, doctor.</summary>
public sealed class KioskDeviceTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("edge-kiosk-devices-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>A folder holding one rendered guest card, for an images camera.</summary>
    public static string WriteCardFolder(string root, string name = "李小龙")
    {
        var folder = Path.Combine(root, "camera");
        Directory.CreateDirectory(folder);
        using var card = OcrSampleSet.RenderCard(name, [name], FontStyle.Sans);
        File.WriteAllBytes(Path.Combine(folder, "guest.png"), PngCodec.Encode(card.Image));
        return folder;
    }

    [Fact]
    public void A_missing_gpio_chip_sees_nobody_names_its_path_and_is_not_tried_again_before_its_backoff()
    {
        int tries = 0;
        using var sensor = new GpioPresenceSensor(new KioskWiring { GpioChip = 63 }, () =>
        {
            tries++;
            return Edge.Agent.Devices.Linux.LinuxGpioChip.Open(63);
        });

        Assert.False(sensor.TryGetDistance(out _));
        Assert.False(sensor.TryGetDistance(out _));
        sensor.Maintain();

        Assert.Equal(1, tries);
        Assert.Contains("/dev/gpiochip63", sensor.Problem);
        Assert.Contains("/dev/gpiochip63", sensor.Address);
        Assert.Contains("gpioChip", sensor.Fix);
        Assert.InRange(sensor.RetryIn, TimeSpan.FromMilliseconds(1), ReopeningDevice.FirstBackoff);
    }

    [Fact]
    public void A_presence_sensor_on_a_chip_that_opens_measures_the_distance()
    {
        using var chip = new SimulatedGpioChip();
        using var echo = new Hcsr04Echo(chip, 23, 24) { DistanceAfterScript = 42 };
        using var sensor = new GpioPresenceSensor(new KioskWiring(), () => chip);

        Assert.True(sensor.TryGetDistance(out double cm));
        Assert.InRange(cm, 41, 43);
        Assert.Null(sensor.Problem);
    }

    [Theory]
    [InlineData("/dev/usb/lp0", "file", "/dev/usb/lp0", 0)]
    [InlineData("tcp:192.168.1.50:9100", "tcp", "192.168.1.50", 9100)]
    [InlineData("serial:/dev/ttyS0:19200", "serial", "/dev/ttyS0", 19200)]
    public void A_printer_address_is_a_device_file_a_tcp_port_or_a_serial_line(string text, string kind, string target, int number)
    {
        var address = PrinterAddress.Parse(text);
        Assert.Equal((kind, target, number), (address.Kind, address.Target, address.Number));
        Assert.Equal(text, address.ToString());
    }

    [Fact]
    public void A_network_printer_answers_and_once_switched_off_every_call_throws_naming_it_until_it_is_back()
    {
        using var sim = new EscPosTcpSimulator();
        using var printer = new ReopeningCardPrinter($"tcp:127.0.0.1:{sim.Port}", 384);

        Assert.True(printer.QueryStatus().IsReady);
        sim.Stop();
        var lost = Assert.ThrowsAny<DeviceException>(() => printer.QueryStatus());
        Assert.Contains($"127.0.0.1:{sim.Port}", lost.Message);
        Assert.NotNull(printer.Problem);
        // Within the backoff the printer is not dialled again: the error names it and says why.
        var waiting = Assert.ThrowsAny<DeviceException>(() => printer.QueryStatus());
        Assert.Contains($"tcp:127.0.0.1:{sim.Port}", waiting.Message);
    }

    [Fact]
    public void A_missing_usb_printer_fails_to_open_with_its_path_and_the_fix()
    {
        var path = Path.Combine(_dir.FullName, "lp9");
        using var printer = new ReopeningCardPrinter(path, 384);
        var e = Assert.ThrowsAny<DeviceException>(() => printer.QueryStatus());
        Assert.Contains(path, e.Message);
        Assert.Contains("lp group", printer.Fix);
    }

    [Fact]
    public async Task The_card_camera_triggers_its_source_and_hands_back_one_frame_per_capture()
    {
        var folder = WriteCardFolder(_dir.FullName);
        await using var camera = FrameSourceCardCamera.Create(new SourceOptions { Type = SourceType.Images, Path = folder, Loop = true });

        using var first = camera.Capture(CancellationToken.None);
        using var second = camera.Capture(CancellationToken.None);

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(PixelFormat.Rgb24, first.Format);
        Assert.True(first.Width > 100 && first.Height > 50);
        Assert.Null(camera.Problem);
    }

    [Fact]
    public async Task A_missing_camera_gives_a_reason_that_names_the_device()
    {
        await using var camera = new FrameSourceCardCamera(
            FrameSources.Create("kiosk-camera", new SourceOptions { Type = SourceType.Camera, Device = "/dev/video63" }, triggered: true), "camera /dev/video63")
        {
            FrameTimeout = TimeSpan.FromSeconds(2),
        };

        var e = Assert.ThrowsAny<DeviceException>(() => camera.Capture(CancellationToken.None));

        Assert.Contains("/dev/video63", e.Message);
    }

    [Fact]
    public async Task An_alert_is_committed_to_the_outbox_as_versioned_json_on_the_alerts_topic()
    {
        await using var outbox = Edge.Agent.Outbox.Outbox.Open(new OutboxOptions { Path = Path.Combine(_dir.FullName, "outbox.db") });
        var alerts = new KioskAlertPublisher(outbox, "edge/kiosk-01/alerts", "kiosk-01", NullLogger.Instance);

        alerts.Raise(new KioskAlert("paper-out", "paper out: paper end sensor; 1 card(s) kept and waiting", DateTimeOffset.Now, 1) { Part = "printer" });
        alerts.Raise(new KioskAlert("printer-ready", "printer ready again", DateTimeOffset.Now, 1) { Part = "printer" });

        var pending = new List<OutboxMessage>();
        outbox.ReadPending(0, 10, pending);
        Assert.Equal(2, pending.Count);
        Assert.All(pending, m => Assert.Equal(("edge/kiosk-01/alerts", 1), (m.Topic, m.Qos)));
        var first = JsonDocument.Parse(pending[0].Payload).RootElement;
        Assert.Equal(1, first.GetProperty("schema").GetInt32());
        Assert.True(Guid.TryParse(first.GetProperty("id").GetString(), out _));
        Assert.Equal("paper_out", first.GetProperty("kind").GetString());
        Assert.Equal("printer", first.GetProperty("part").GetString());
        Assert.Equal(1, first.GetProperty("pending_cards").GetInt32());
        Assert.StartsWith("paper out", first.GetProperty("message").GetString());
        Assert.True(first.TryGetProperty("ts", out _));
        Assert.Equal("recovered", JsonDocument.Parse(pending[1].Payload).RootElement.GetProperty("kind").GetString());
    }

    [Fact]
    public void Doctor_fails_a_missing_gpio_chip_and_display_node_with_fixes_and_reads_a_network_printers_status()
    {
        using var sim = new EscPosTcpSimulator();
        var config = AgentConfig.Parse($$"""
            { "device": { "id": "kiosk-01" },
              "kiosk": { "camera": { "type": "camera", "device": "/dev/video63" },
                         "wiring": { "gpioChip": 63, "spiBus": 9, "printer": "tcp:127.0.0.1:{{sim.Port}}" } } }
            """, Path.Combine(_dir.FullName, "agent.json"));

        var checks = Doctor.KioskChecks(config.Kiosk!).ToDictionary(c => c.Name);

        Assert.Equal(CheckStatus.Fail, checks["kiosk gpio"].Status);
        Assert.Contains("/dev/gpiochip63", checks["kiosk gpio"].Detail);
        Assert.Contains("gpioChip", checks["kiosk gpio"].Fix);
        Assert.Equal(CheckStatus.Fail, checks["kiosk display"].Status);
        Assert.Contains("/dev/spidev9.0", checks["kiosk display"].Detail);
        Assert.Contains("spi", checks["kiosk display"].Fix);
        Assert.Equal(CheckStatus.Ok, checks["kiosk printer"].Status);
        Assert.Contains("ready", checks["kiosk printer"].Detail);
        Assert.Equal(CheckStatus.Fail, checks["kiosk camera"].Status);

        sim.ConfigureSession = p => p.PaperOut = true;
        var paperOut = Doctor.PrinterCheck($"tcp:127.0.0.1:{sim.Port}", 384);
        Assert.Equal(CheckStatus.Warn, paperOut.Status);
        Assert.Equal("load a paper roll", paperOut.Fix);
        sim.Stop();
        var off = Doctor.PrinterCheck($"tcp:127.0.0.1:{sim.Port}", 384);
        Assert.Equal(CheckStatus.Fail, off.Status);
        Assert.Contains("switch the printer on", off.Fix);
    }
}
