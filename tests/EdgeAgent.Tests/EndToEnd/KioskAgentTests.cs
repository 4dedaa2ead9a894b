using System.Net.Http;
using System.Text.Json;
using Edge.Agent.Config;
using Edge.Agent.Devices.EscPos;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Hosting;
using Edge.Agent.Kiosk;
using Edge.Agent.Tests.Kiosk;
using Edge.Agent.Tests.Support;
using Edge.Models.Imaging;
using St7789Panel = Edge.Agent.Devices.St7789.St7789;

namespace Edge.Agent.Tests.EndToEnd;

/// <summary>A state folder, a camera folder with one guest card, and a kiosk config for <c>edge run</c>.</summary>
public sealed class KioskWorkspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("edge-kiosk-e2e-").FullName;
    public int HttpPort { get; } = MosquittoBroker.FreePort();

    public KioskWorkspace() => KioskDeviceTests.WriteCardFolder(Root);

    /// <summary>No GPIO chip 63 and no /dev/spidev9.0 exist: the presence sensor and the display are missing.</summary>
    public string WriteConfig(int brokerPort, int printerPort)
    {
        var path = Path.Combine(Root, "agent.json");
        File.WriteAllText(path, $$"""
            { "device": { "id": "kiosk-01" },
              "mqtt": { "host": "127.0.0.1", "port": {{brokerPort}}, "prefix": "edge" },
              "outbox": { "path": "state/outbox.db" },
              "http": { "port": {{HttpPort}} },
              "kiosk": {
                "pollMs": 60, "closeReadings": 2, "previewSeconds": 0, "thankYouSeconds": 0, "coolDownSeconds": 0,
                "display": "st7789",
                "camera": { "type": "images", "path": "camera", "loop": true },
                "wiring": { "gpioChip": 63, "spiBus": 9, "printer": "tcp:127.0.0.1:{{printerPort}}" } } }
            """);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

[Collection("agent end to end")]
public class KioskAgentTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private static List<JsonElement> Alerts(EventCollector c) =>
        c.Messages.Where(m => m.Topic == "edge/kiosk-01/alerts").Select(m => m.Body).ToList();

    private static bool HasAlert(EventCollector c, string kind, string fragment) =>
        Alerts(c).Any(a => a.GetProperty("kind").GetString() == kind && a.GetProperty("message").GetString()!.Contains(fragment, StringComparison.Ordinal));

    private static async Task<JsonElement> KioskStatusAsync(HttpClient http, int port) =>
        JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/api/status")).RootElement.GetProperty("stats").Clone();

    [Fact]
    public async Task Edge_run_with_an_absent_gpio_chip_and_display_stays_up_names_them_in_health_and_alerts_device_missing_over_mqtt()
    {
        using var ws = new KioskWorkspace();
        using var printer = new EscPosTcpSimulator();
        using var broker = MosquittoBroker.Start(null);
        await using var events = await EventCollector.StartAsync(broker);
        using var agent = new AgentProcess(ws.WriteConfig(broker.Port, printer.Port));

        await events.WaitUntilAsync(c => HasAlert(c, "device_missing", "/dev/gpiochip63") && HasAlert(c, "device_missing", "/dev/spidev9.0"),
            "device_missing alerts for the GPIO chip and the display", Long);
        await agent.WaitForOutputAsync("kiosk serving", Long);

        var alert = Alerts(events).First(a => a.GetProperty("message").GetString()!.Contains("/dev/gpiochip63", StringComparison.Ordinal));
        Assert.Equal(1, alert.GetProperty("schema").GetInt32());
        Assert.True(Guid.TryParse(alert.GetProperty("id").GetString(), out _));
        Assert.True(alert.TryGetProperty("ts", out _));
        Assert.Equal("presence sensor", alert.GetProperty("part").GetString());
        Assert.Contains("Fix:", alert.GetProperty("message").GetString());
        Assert.Contains("Fix: check that /dev/gpiochip63 exists", agent.Output);

        using var http = new HttpClient();
        var health = await http.GetAsync($"http://127.0.0.1:{ws.HttpPort}/healthz");
        var reasons = await health.Content.ReadAsStringAsync();
        Assert.Equal(503, (int)health.StatusCode);
        Assert.Contains("kiosk presence sensor /dev/gpiochip63", reasons);
        Assert.Contains("/dev/spidev9.0", reasons);
        Assert.DoesNotContain("printer", reasons);

        var kiosk = (await KioskStatusAsync(http, ws.HttpPort)).GetProperty("kiosk");
        Assert.Equal("attract", kiosk.GetProperty("state").GetString());
        Assert.Equal("ready", kiosk.GetProperty("printer").GetString());
        Assert.Equal(0, kiosk.GetProperty("print_queue").GetInt32());
        Assert.False(kiosk.GetProperty("devices").GetProperty("presence sensor").GetProperty("ok").GetBoolean());
        Assert.True(kiosk.GetProperty("devices").GetProperty("printer").GetProperty("ok").GetBoolean());

        var metrics = await http.GetStringAsync($"http://127.0.0.1:{ws.HttpPort}/metrics");
        Assert.Contains("edge_kiosk_state{state=\"attract\"} 1", metrics);
        Assert.Contains("edge_kiosk_print_queue_depth 0", metrics);
        Assert.Contains("edge_kiosk_cards_printed_total 0", metrics);
        Assert.Contains("edge_kiosk_device_up{device=\"presence sensor\"} 0", metrics);
        Assert.Contains("edge_kiosk_device_up{device=\"printer\"} 1", metrics);

        Assert.Equal(0, agent.Stop(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_guest_gets_a_card_through_the_agent_and_a_paper_out_alert_raised_while_the_broker_is_down_arrives_once_it_is_back()
    {
        using var ws = new KioskWorkspace();
        using var printerSim = new EscPosTcpSimulator();
        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { Persistence = true });
        await using var events = await EventCollector.StartAsync(broker);
        var config = AgentConfig.Load(ws.WriteConfig(broker.Port, printerSim.Port));
        var presence = new ScriptedPresence { Distance = 250 };
        var panel = new St7789Emulator(240, 240) { RecordCommands = false };
        SignallingPrinter? printer = null;
        KioskHardware Hardware(KioskConfig kiosk, Microsoft.Extensions.Logging.ILoggerFactory loggers)
        {
            var camera = FrameSourceCardCamera.Create(kiosk.Camera);
            var network = new ReopeningCardPrinter(kiosk.Options.Wiring.Printer, kiosk.Options.PaperWidthDots);
            printer = new SignallingPrinter(network);
            var driver = new St7789Panel(panel.Spi, panel.DataCommand, panel.Reset, new Edge.Agent.Devices.St7789.St7789Options { Delay = panel.Advance });
            driver.Initialize();
            return new KioskHardware(presence, camera, new St7789KioskDisplay(driver), printer, [camera, network], [camera, network, driver]);
        }

        using var stop = new CancellationTokenSource();
        var firstRead = presence.NextRead();
        var run = Task.Run(() => EdgeAgentHost.RunAsync(config, stop.Token, Hardware));
        using var http = new HttpClient();
        try
        {
            await firstRead.WaitAsync(Long);

            // A guest steps up: their card is read, printed on the network printer and counted.
            var printed = printer!.NextPrinted();
            presence.Distance = 30;
            Assert.True((await printed.WaitAsync(Long)).Complete);
            var backAtAttract = presence.NextRead();
            presence.Distance = 250;
            await backAtAttract.WaitAsync(Long);
            var kiosk = (await KioskStatusAsync(http, ws.HttpPort)).GetProperty("kiosk");
            Assert.Equal("attract", kiosk.GetProperty("state").GetString());
            Assert.Equal(1, kiosk.GetProperty("cards_printed_today").GetInt32());
            Assert.Equal(1, kiosk.GetProperty("ocr_calls_today").GetInt32());
            Assert.Equal("ready", kiosk.GetProperty("printer").GetString());
            Assert.Contains("edge_kiosk_cards_printed_total 1", await http.GetStringAsync($"http://127.0.0.1:{ws.HttpPort}/metrics"));
            Assert.Single(printerSim.Pages);
            Assert.True(panel.IsDisplayOn);
            Assert.Empty(panel.Violations);

            // The broker goes away and the paper runs out: the next guest's card waits, the alert waits in the outbox.
            broker.Stop();
            printerSim.Sessions[^1].PaperOut = true;
            var refused = printer.NextRefused();
            presence.Distance = 30;
            await refused.WaitAsync(Long);
            var polled = printer.NextStatusQuery(); // the kiosk polls the printer only after it has raised the alert
            await polled.WaitAsync(Long);
            kiosk = (await KioskStatusAsync(http, ws.HttpPort)).GetProperty("kiosk");
            Assert.Equal("paper out", kiosk.GetProperty("printer").GetString());
            Assert.Equal(1, kiosk.GetProperty("print_queue").GetInt32());
            Assert.DoesNotContain(Alerts(events), a => a.GetProperty("kind").GetString() == "paper_out");

            broker.Start();
            await events.WaitUntilAsync(c => HasAlert(c, "paper_out", "paper out"), "the paper_out alert after the broker came back", Long);

            // Staff load paper: the kept card prints and the printer is reported recovered.
            var second = printer.NextPrinted();
            printerSim.Sessions[^1].PaperOut = false;
            Assert.True((await second.WaitAsync(Long)).Complete);
            await events.WaitUntilAsync(c => HasAlert(c, "recovered", "printer ready again"), "the recovered alert", Long);
            var paperOut = Alerts(events).First(a => a.GetProperty("kind").GetString() == "paper_out");
            Assert.Equal("printer", paperOut.GetProperty("part").GetString());
            Assert.Equal(1, paperOut.GetProperty("pending_cards").GetInt32());
        }
        finally
        {
            presence.Distance = 250;
            stop.Cancel();
        }
        Assert.Equal(0, await run.WaitAsync(Long));
        Assert.Equal(2, printerSim.Pages.Count(p => !p.Truncated));
    }

    /// <summary>A presence sensor the test moves the guest in front of; a test can wait for the kiosk's next reading.</summary>
    private sealed class ScriptedPresence : IPresenceSensor
    {
        private readonly Lock _gate = new();
        private TaskCompletionSource? _next;
        private volatile int _centimetres;

        public double Distance { get => _centimetres; set => _centimetres = (int)value; }

        public Task NextRead()
        {
            lock (_gate) return (_next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        public bool TryGetDistance(out double centimetres)
        {
            centimetres = _centimetres;
            TaskCompletionSource? next;
            lock (_gate) (next, _next) = (_next, null);
            next?.TrySetResult();
            return true;
        }
    }

    /// <summary>The real network printer, telling the test when a card is printed or refused and when the status is asked.</summary>
    private sealed class SignallingPrinter(ICardPrinter inner) : ICardPrinter
    {
        private readonly Lock _gate = new();
        private TaskCompletionSource<PrintJobResult>? _printed;
        private TaskCompletionSource? _refused, _status;

        public Task<PrintJobResult> NextPrinted() { lock (_gate) return (_printed ??= New<PrintJobResult>()).Task; }
        public Task NextRefused() { lock (_gate) return (_refused ??= New()).Task; }
        public Task NextStatusQuery() { lock (_gate) return (_status ??= New()).Task; }

        private static TaskCompletionSource<T> New<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
        private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);

        public PrinterStatus QueryStatus()
        {
            var status = inner.QueryStatus();
            TaskCompletionSource? waiting;
            lock (_gate) (waiting, _status) = (_status, null);
            waiting?.TrySetResult();
            return status;
        }

        public PrintJobResult Print(Bitmap1 card)
        {
            PrintJobResult result;
            try
            {
                result = inner.Print(card);
            }
            catch (PrinterNotReadyException)
            {
                TaskCompletionSource? refused;
                lock (_gate) (refused, _refused) = (_refused, null);
                refused?.TrySetResult();
                throw;
            }
            TaskCompletionSource<PrintJobResult>? printed;
            lock (_gate) (printed, _printed) = (_printed, null);
            printed?.TrySetResult(result);
            return result;
        }
    }
}
