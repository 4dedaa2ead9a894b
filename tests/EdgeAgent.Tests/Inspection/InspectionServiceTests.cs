using System.Collections.Concurrent;
using System.Text.Json;
using Edge.Agent.Cli;
using Edge.Agent.Config;
using Edge.Agent.Devices;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Hosting;
using Edge.Agent.Inspection;
using Edge.Agent.Metrics;
using Edge.Agent.Mqtt;
using Edge.Agent.Outbox;
using Edge.Agent.Tests.EndToEnd;
using Edge.Agent.Tests.Outbox;
using Edge.Agent.Tests.Support;
using Edge.Models.Detection;
using Edge.Models.Imaging;
using Microsoft.Extensions.Logging.Abstractions;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Tests.Inspection;

/// <summary>
/// The real <see cref="InspectionService"/> on a simulated GPIO chip, with the real defect model, a folder of held-out
/// images as the camera in trigger mode, a real SQLite outbox, the agent's outbox publisher and a real mosquitto.
/// </summary>
public sealed class InspectionServiceTests : IDisposable
{
    private const int PhotoEye = 17, Reject = 27, Green = 5, Amber = 6, Red = 13;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-inspection-service-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string ModelPath => DetectCommand.ResolveModel("defect", DetectCommand.SearchRoots());

    /// <summary>Copies the first <paramref name="count"/> held-out images into a parts folder; returns their names in the order the source serves them.</summary>
    private string[] CopyParts(int count)
    {
        var heldout = Path.Combine(Path.GetDirectoryName(ModelPath)!, "heldout");
        var parts = Directory.CreateDirectory(Path.Combine(_dir, "parts")).FullName;
        var names = Directory.GetFiles(heldout, "*.jpg").Order(StringComparer.Ordinal).Take(count).Select(Path.GetFileName).ToArray();
        foreach (var n in names) File.Copy(Path.Combine(heldout, n!), Path.Combine(parts, n!));
        return names!;
    }

    private InspectionLineConfig LineConfig(string chip = "/dev/gpiochip-sim",
        string timing = "\"rejectDelayMs\": 10000, \"actuatorLeadMs\": 20", string wiring = "", string mode = "", bool loop = true)
    {
        var json = $$"""
            { "device": { "id": "press-07" }, "mqtt": { "host": "127.0.0.1" }, "outbox": { "path": "state/outbox.db" },
              "inspection": { "lines": [ { "name": "line1", "model": "defect", {{mode}}
                "camera": { "type": "images", "path": "parts", "loop": {{(loop ? "true" : "false")}} },
                "gpio": { "chip": "{{chip}}", {{wiring}} "photoEye": {{PhotoEye}}, "reject": {{Reject}}, "stackLight": { "green": {{Green}}, "amber": {{Amber}}, "red": {{Red}} } },
                "rules": { "minScore": 0.25 },
                "timing": { {{timing}}, "pulseMs": 40, "latePolicy": "reject" },
                "light": { "amberYieldBelow": 0.2 },
                "snapshots": { "path": "state/defects" } } ] } }
            """;
        var config = AgentConfig.Parse(json, Path.Combine(_dir, "agent.json"));
        return config.Inspection!.Lines[0];
    }

    /// <summary>Which parts the detector itself judges defective under the line's rules (the reference the gate must follow).</summary>
    private static bool[] JudgedDefective(string folder, string[] names, InspectionOptions options)
    {
        using var detector = ObjectDetector.Load(ModelPath, new DetectionOptions { Confidence = 0.25f });
        var rules = new DecisionRules(options, detector.Labels.Names);
        using var image = new ImageBuffer();
        var detections = new List<Det>();
        var byClass = new int[detector.Labels.Names.Count];
        return names.Select(n =>
        {
            ImageCodec.Load(Path.Combine(folder, n), image, PixelFormat.Rgb24);
            detections.Clear();
            detector.DetectInto(image, detections);
            return rules.Judge(detections, byClass) > 0;
        }).ToArray();
    }

    /// <summary>The agent's outbox → MQTT path: a real SQLite outbox, its publisher and a client of the broker.</summary>
    private sealed class OutboxToBroker : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _publishing;
        public Edge.Agent.Outbox.Outbox Outbox { get; }
        public MqttClient Client { get; }
        public OutboxPublisher Publisher { get; }

        public OutboxToBroker(string path, MosquittoBroker broker, MetricsRegistry metrics)
        {
            Outbox = Edge.Agent.Outbox.Outbox.Open(new OutboxOptions { Path = path });
            Client = new MqttClient(broker.ClientOptions("press-07") with { CleanStart = false });
            Client.Start();
            Publisher = new OutboxPublisher(Outbox, Client, metrics, NullLogger.Instance);
            _publishing = Publisher.RunAsync(_stop.Token);
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            try { await _publishing; } catch (OperationCanceledException) { }
            await Client.DisposeAsync();
            await Outbox.DisposeAsync();
        }
    }

    [Fact]
    public async Task Photo_eye_pulses_reject_exactly_the_parts_the_detector_judges_defective_and_each_reaches_the_broker()
    {
        var names = CopyParts(8);
        var config = LineConfig();
        var judged = JudgedDefective(Path.Combine(_dir, "parts"), names, config.Options);
        Assert.Contains(true, judged);
        Assert.Contains(false, judged);

        using var broker = MosquittoBroker.Start(null);
        await using var collector = await EventCollector.StartAsync(broker, filter: "edge/press-07/inspection/#");
        var metrics = new MetricsRegistry();
        Directory.CreateDirectory(Path.Combine(_dir, "state"));
        await using var outbox = new OutboxToBroker(Path.Combine(_dir, "state", "outbox.db"), broker, metrics);

        // A PNP photo-eye: high while a part breaks the beam, 20 ms per part, a part every 300 ms.
        using var chip = new SimulatedGpioChip();
        long first = chip.NowNs + 200_000_000;
        var beams = Enumerable.Range(0, names.Length).Select(i => first + i * 300_000_000L).ToArray();
        foreach (var b in beams) chip.ScriptPulse(PhotoEye, b, 20_000_000, level: true);

        var sink = new OutboxInspectionSink(outbox.Outbox, "edge", "press-07");
        await using var service = new InspectionService(config, sink, metrics, NullLogger.Instance,
            path => path == "/dev/gpiochip-sim" ? chip : throw new DeviceException($"{path}: no such chip"));
        var verdicts = new ConcurrentQueue<PartVerdict>();
        var allInspected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.PartInspected += v => { verdicts.Enqueue(v); if (verdicts.Count == names.Length) allInspected.TrySetResult(); };
        service.Load();

        using var stop = new CancellationTokenSource();
        var run = service.RunAsync(stop.Token);
        await allInspected.Task.WaitAsync(Wait);
        int defective = judged.Count(j => j);
        string defectTopic = "edge/press-07/inspection/line1/defect", summaryTopic = "edge/press-07/inspection/line1/summary";
        await collector.WaitUntilAsync(c => c.On(defectTopic).Count >= defective, $"{defective} defect events", Wait);
        stop.Cancel();
        await run.WaitAsync(Wait);
        Assert.Equal(InspectionServiceState.Stopped, service.State);
        await sink.WhenCommittedAsync();
        await collector.WaitUntilAsync(c => c.On(summaryTopic).Sum(s => s.GetProperty("minute").GetProperty("parts").GetInt64()) >= names.Length,
            "a summary counting every part", Wait);

        // The gate followed the detector: a 40 ms pulse at trigger + 10 s (long, so a machine stalled by other work cannot make a decision late) for each part it judged defective, none otherwise.
        var byPart = verdicts.OrderBy(v => v.PartId).ToList();
        Assert.Equal(beams, byPart.Select(v => v.TriggerNs));
        Assert.Equal(judged, byPart.Select(v => v.Defective));
        Assert.All(byPart, v => Assert.False(v.Late, $"part {v.PartId} decided late ({v.TriggerToDecisionMs:0.0} ms)"));
        var pulses = ConveyorSimulation.Pulses(chip.History(Reject));
        var expected = beams.Where((_, i) => judged[i]).Select(b => b + 10_000_000_000L).ToList();
        Assert.Equal(expected.Count, pulses.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.InRange(pulses[i].Start - expected[i], -1_000_000, 1_000_000);
            Assert.Equal(40_000_000, pulses[i].Width);
        }
        Assert.False(chip.History(Reject)[^1].Value, "the reject output is off after stop");

        // One defect event per defective part, each with its snapshot on disk; the summary counts every part.
        var events = collector.On(defectTopic).DistinctBy(e => e.GetProperty("part").GetInt64()).ToList();
        Assert.Equal(byPart.Where(v => v.Defective).Select(v => v.PartId), events.Select(e => e.GetProperty("part").GetInt64()));
        foreach (var e in events)
        {
            Assert.Equal(1, e.GetProperty("schema").GetInt32());
            Assert.Equal("rejected", e.GetProperty("outcome").GetString());
            Assert.NotEqual(0, e.GetProperty("defects").GetArrayLength());
            var snapshot = e.GetProperty("snapshot").GetString()!;
            Assert.True(File.Exists(Path.Combine(_dir, "state", "defects", snapshot)), snapshot);
        }
        var summaries = collector.On(summaryTopic);
        Assert.Equal(defective, summaries.Sum(s => s.GetProperty("minute").GetProperty("defective").GetInt64()));
        Assert.Equal(defective, summaries.Sum(s => s.GetProperty("minute").GetProperty("rejected").GetInt64()));

        var text = metrics.Render();
        Assert.Contains($"edge_inspection_parts_total{{line=\"line1\"}} {names.Length}", text);
        Assert.Contains($"edge_inspection_rejects_total{{line=\"line1\"}} {defective}", text);
        Assert.Contains("edge_inspection_late_total{line=\"line1\"} 0", text);
        Assert.Contains("edge_inspection_defects_total{line=\"line1\",class=\"scratch\"}", text);
        Assert.Contains($"edge_inspection_decision_seconds_count{{line=\"line1\"}} {names.Length}", text);
        Assert.Contains("edge_inspection_good_part_alloc_bytes_total{line=\"line1\"} ", text);
        Assert.Contains("edge_inspection_snapshots_dropped_total{line=\"line1\"} 0", text);
        Assert.Empty(service.Problems());
    }

    [Fact]
    public async Task Defect_events_made_while_the_broker_is_down_arrive_once_it_is_back()
    {
        var names = CopyParts(6);
        var config = LineConfig();
        var judged = JudgedDefective(Path.Combine(_dir, "parts"), names, config.Options);
        int defective = judged.Count(j => j);
        Assert.NotEqual(0, defective);

        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { Persistence = true });
        await using var collector = await EventCollector.StartAsync(broker, filter: "edge/press-07/inspection/#");
        var metrics = new MetricsRegistry();
        Directory.CreateDirectory(Path.Combine(_dir, "state"));
        await using var outbox = new OutboxToBroker(Path.Combine(_dir, "state", "outbox.db"), broker, metrics);
        await outbox.Client.WaitForStateAsync(MqttConnectionState.Connected);
        broker.Stop();

        using var chip = new SimulatedGpioChip();
        for (int i = 0; i < names.Length; i++) chip.ScriptPulse(PhotoEye, chip.NowNs + 200_000_000 + i * 300_000_000L, 20_000_000, level: true);
        var sink = new OutboxInspectionSink(outbox.Outbox, "edge", "press-07");
        await using var service = new InspectionService(config, sink, metrics, NullLogger.Instance, _ => chip);
        int inspected = 0;
        var allInspected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.PartInspected += _ => { if (Interlocked.Increment(ref inspected) == names.Length) allInspected.TrySetResult(); };
        service.Load();
        using var stop = new CancellationTokenSource();
        var run = service.RunAsync(stop.Token);
        await allInspected.Task.WaitAsync(Wait);
        await sink.WhenCommittedAsync();
        Assert.True(outbox.Publisher.Pending >= defective, $"{outbox.Publisher.Pending} events wait in the outbox while the broker is down");

        broker.Start();
        string defectTopic = "edge/press-07/inspection/line1/defect";
        await collector.WaitUntilAsync(c => c.On(defectTopic).Select(e => e.GetProperty("part").GetInt64()).Distinct().Count() >= defective,
            $"{defective} defect events after the outage", Wait);
        stop.Cancel();
        await run.WaitAsync(Wait);
        Assert.Equal(Enumerable.Range(0, names.Length).Where(i => judged[i]).Select(i => (long)i + 1),
            collector.On(defectTopic).Select(e => e.GetProperty("part").GetInt64()).Distinct().Order());
    }

    /// <summary>A parts folder holding one blank image, for tests whose model stand-in ignores the picture.</summary>
    private void WriteBlankPart()
    {
        var parts = Directory.CreateDirectory(Path.Combine(_dir, "parts")).FullName;
        using var image = new ImageBuffer(64, 48, PixelFormat.Rgb24);
        ImageCodec.Save(Path.Combine(parts, "part.jpg"), image);
    }

    /// <summary>A model stand-in whose first part fails (a detection fault), later parts are good.</summary>
    private sealed class FailingFirstInspector : IPartInspector
    {
        private int _calls;
        public IReadOnlyList<string> Labels { get; } = ["scratch"];
        public double Inspect(ImageBuffer frame, List<Det> detections) =>
            Interlocked.Increment(ref _calls) == 1 ? throw new InvalidOperationException("simulated detector fault") : 0;
    }

    [Fact]
    public async Task The_acknowledge_button_clears_a_red_light_and_a_press_without_a_fault_changes_nothing()
    {
        const int Ack = 26;
        WriteBlankPart();
        var config = LineConfig(wiring: $"\"acknowledge\": {Ack},");
        Assert.Equal((Ack, true), (config.Gpio.Acknowledge, config.Gpio.AcknowledgeActiveLow));

        // A button to ground with a pull-up: the line idles high, a press pulls it low (80 ms, beyond the 20 ms debounce).
        // The first press comes 300 ms before the part whose detection fails, within the same photo-eye wait.
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        chip.ScriptInput(Ack, (t0, true));
        long idlePress = t0 + 1_200_000_000, beam = t0 + 1_500_000_000, faultPress = t0 + 3_000_000_000;
        chip.ScriptPulse(Ack, idlePress, 80_000_000, level: false);
        chip.ScriptPulse(PhotoEye, beam, 20_000_000, level: true);
        chip.ScriptPulse(Ack, faultPress, 80_000_000, level: false);
        var red = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cleared = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = chip.OnOutputChanged(Red, c => (c.Value ? red : cleared).TrySetResult(c.TimeNs));

        var log = new ListLogger();
        await using var service = new InspectionService(config, null, new MetricsRegistry(), log, _ => chip, new FailingFirstInspector());
        service.Load();
        using var stop = new CancellationTokenSource();
        var run = service.RunAsync(stop.Token);
        long redAt = await red.Task.WaitAsync(Wait);
        long clearedAt = await cleared.Task.WaitAsync(Wait);
        Assert.True(chip.IsRequested(Ack), "the acknowledge line is requested with the others");
        Assert.Empty(service.Problems());
        stop.Cancel();
        await run.WaitAsync(Wait);
        Assert.False(chip.IsRequested(Ack), "the acknowledge line is released on stop");

        // The fault (at the part's trigger) turned the light red; the press after it turned it back to green.
        Assert.InRange(redAt, beam, faultPress);
        Assert.True(clearedAt >= faultPress, $"the light cleared at {clearedAt} ns, before the press at {faultPress} ns");
        Assert.Equal([false, true, false], chip.History(Red).Select(h => h.Value));
        // The press before any fault changed nothing: green from the start until the fault, and green again after the press.
        var green = chip.History(Green);
        Assert.Equal([false, true, false, true, false], green.Select(h => h.Value)); // the last: lamps off on stop
        Assert.Equal(redAt, green[2].TimeNs);
        Assert.Equal(clearedAt, green[3].TimeNs);
        // Both presses reached the line, each logged with who acknowledged.
        var info = log.At(Microsoft.Extensions.Logging.LogLevel.Information);
        Assert.Contains(info, m => m.Contains("acknowledge by the button (line 26), but there is no fault; stack light stays green", StringComparison.Ordinal));
        Assert.Contains(info, m => m.Contains("fault acknowledged by the button (line 26) (part 1: InvalidOperationException: simulated detector fault); stack light green", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_encoder_whose_reader_fails_on_a_board_ends_the_run_as_gpio_lost_and_the_chip_is_reopened()
    {
        const int EncoderLine = 22;
        WriteBlankPart();
        var config = LineConfig(wiring: $"\"encoder\": {EncoderLine},");
        int opened = 0;
        var reopening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var repaired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var chips = new ConcurrentQueue<SimulatedGpioChip>();
        IGpioChip Open(string path)
        {
            var chip = new SimulatedGpioChip();
            chips.Enqueue(chip);
            if (Interlocked.Increment(ref opened) == 1) chip.FailInput(EncoderLine); // the encoder's reads fail once the line runs
            else
            {
                // The reopen comes after the lost run: hold it until the test has looked at the health.
                reopening.TrySetResult();
                repaired.Task.Wait(Wait);
            }
            return new PolledGpioChip(chip);
        }
        var log = new ListLogger();
        await using var service = new InspectionService(config, null, new MetricsRegistry(), log, Open, new FailingFirstInspector());
        int runs = 0;
        var runningAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Running += () => { if (Interlocked.Increment(ref runs) == 2) runningAgain.TrySetResult(); };
        service.Load();
        using var stop = new CancellationTokenSource();
        var run = service.RunAsync(stop.Token);

        await reopening.Task.WaitAsync(Wait);
        Assert.Equal(InspectionServiceState.WaitingForDevices, service.State);
        const string Error = "encoder (line 22) no longer read: gpio-sim line 22: read gpio_v2_line_event failed: No such device (errno 19)";
        var problem = Assert.Single(service.Problems());
        Assert.Equal($"inspection line1: GPIO /dev/gpiochip-sim: {Error}", problem);
        var warnings = log.At(Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains(warnings, m => m.Contains($"GPIO lost while running: {Error}; reopening", StringComparison.Ordinal));
        Assert.Contains(warnings, m => m.Contains("encoder lost: 0 parts in flight re-timed from its last speed", StringComparison.Ordinal));
        Assert.True(chips.TryPeek(out var first) && !first.IsRequested(Reject) && !first.IsRequested(EncoderLine), "the lost run released its lines");

        repaired.SetResult();
        await runningAgain.Task.WaitAsync(Wait);
        Assert.Equal(InspectionServiceState.Running, service.State);
        Assert.Empty(service.Problems());
        var second = chips.Last();
        Assert.True(second.IsRequested(EncoderLine) && second.IsRequested(Reject));
        stop.Cancel();
        await run.WaitAsync(Wait);
        Assert.Equal(InspectionServiceState.Stopped, service.State);
        Assert.Empty(service.Problems());
        Assert.Equal(2, Volatile.Read(ref opened)); // stopping is not a lost run: nothing reopened
        Assert.False(second.IsRequested(EncoderLine), "the encoder line is released on stop");
    }

    /// <summary>
    /// A simulated chip seen as a board's chip: it does not hand edges to callbacks (<see cref="IGpioEdgeNotifier"/>),
    /// so the service reads the encoder and the button on threads of their own, as with the kernel's chip.
    /// </summary>
    private sealed class PolledGpioChip(SimulatedGpioChip chip) : IGpioChip, IGpioClock
    {
        public string Name => chip.Name;
        public int LineCount => chip.LineCount;
        public long NowNs => chip.NowNs;
        public IGpioOutput RequestOutput(int offset, bool initialValue, string consumer) => chip.RequestOutput(offset, initialValue, consumer);
        public IGpioInput RequestInput(int offset, GpioInputOptions options, string consumer) => chip.RequestInput(offset, options, consumer);
        public void WaitUntil(long ns) => chip.WaitUntil(ns);
        public IDisposable Schedule(long atNs, Action action) => chip.Schedule(atNs, action);
        public void Dispose() => chip.Dispose();
    }

    [Fact]
    public async Task A_missing_gpio_chip_is_reported_by_name_and_retried_until_it_appears()
    {
        CopyParts(1);
        var config = LineConfig("/dev/gpiochip9");
        var metrics = new MetricsRegistry();
        using var chip = new SimulatedGpioChip();
        int attempts = 0;
        var retried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var plugged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IGpioChip Open(string path)
        {
            if (Interlocked.Increment(ref attempts) == 1) throw new DeviceException($"{path}: open failed: No such file or directory (errno 2)");
            // The second attempt comes after the backoff: hold it until the test has looked at the health.
            retried.TrySetResult();
            plugged.Task.Wait(Wait);
            return chip;
        }
        await using var service = new InspectionService(config, null, metrics, NullLogger.Instance, Open);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Running += () => running.TrySetResult();
        service.Load();

        using var stop = new CancellationTokenSource();
        var run = service.RunAsync(stop.Token);
        await retried.Task.WaitAsync(Wait);
        var problem = Assert.Single(service.Problems(), p => p.Contains("GPIO", StringComparison.Ordinal));
        Assert.Contains("inspection line1", problem);
        Assert.Contains("/dev/gpiochip9", problem);
        Assert.Equal(InspectionServiceState.WaitingForDevices, service.State);

        plugged.SetResult();
        await running.Task.WaitAsync(Wait);
        Assert.Equal(InspectionServiceState.Running, service.State);
        Assert.DoesNotContain(service.Problems(), p => p.Contains("GPIO", StringComparison.Ordinal));
        Assert.True(chip.IsRequested(PhotoEye) && chip.IsRequested(Reject) && chip.IsRequested(Green));
        stop.Cancel();
        await run.WaitAsync(Wait);
        Assert.False(chip.IsRequested(Reject), "the lines are released on stop");
    }

    [Fact]
    public async Task With_an_encoder_each_defective_part_is_rejected_at_the_nth_encoder_edge_after_its_trigger_and_stop_waits_for_the_last()
    {
        const int Encoder = 22;
        var names = CopyParts(4);
        // 10,000 counts (10 s at 1 kHz) after the trigger: like the other in-process runs, far more than a decision takes
        // on a loaded machine, so only a real timing fault can make a part late.
        var config = LineConfig(timing: "\"rejectAfterCounts\": 10000, \"actuatorLeadCounts\": 20", wiring: $"\"encoder\": {Encoder},");
        Assert.Equal((10000, 20, 22), (config.Options.RejectAfterCounts, config.Options.ActuatorLeadCounts, config.Gpio.Encoder));
        var judged = JudgedDefective(Path.Combine(_dir, "parts"), names, config.Options);
        Assert.Contains(true, judged);

        // A 1 kHz encoder (a quarter-period high) for 11.5 s; a part every 300 ms, half-way between two edges.
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs + 1_000_000;
        var edges = Enumerable.Range(0, 11_500).Select(k => t0 + k * 1_000_000L).ToArray();
        foreach (var e in edges) chip.ScriptPulse(Encoder, e, 250_000);
        var beams = Enumerable.Range(0, names.Length).Select(i => t0 + 100_500_000L + i * 300_000_000L).ToArray();
        foreach (var b in beams) chip.ScriptPulse(PhotoEye, b, 20_000_000, level: true);

        await using var service = new InspectionService(config, null, new MetricsRegistry(), NullLogger.Instance, _ => chip);
        var verdicts = new ConcurrentQueue<PartVerdict>();
        var allInspected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.PartInspected += v => { verdicts.Enqueue(v); if (verdicts.Count == names.Length) allInspected.TrySetResult(); };
        service.Load();
        using var stop = new CancellationTokenSource();
        var run = service.RunAsync(stop.Token);
        await allInspected.Task.WaitAsync(Wait);
        stop.Cancel();
        await run.WaitAsync(Wait);

        var byPart = verdicts.OrderBy(v => v.PartId).ToList();
        Assert.Equal(beams, byPart.Select(v => v.TriggerNs));
        Assert.Equal(judged, byPart.Select(v => v.Defective));
        Assert.All(byPart, v => Assert.False(v.Late, $"part {v.PartId} decided late ({v.TriggerToDecisionMs:0.0} ms)"));
        // The count at a trigger is the edges at or before it; the 10,000th edge after it is edges[count + 9999].
        var expected = beams.Where((_, i) => judged[i]).Select(b => edges[edges.Count(e => e <= b) + 9999]).ToList();
        var pulses = ConveyorSimulation.Pulses(chip.History(Reject));
        Assert.Equal(expected, pulses.Select(p => p.Start));
        Assert.All(pulses, p => Assert.Equal(40_000_000, p.Width));
        Assert.False(chip.IsRequested(Encoder), "the encoder line is released on stop");
    }

    [Fact]
    public async Task In_continuous_mode_each_part_sliding_through_a_folder_of_frames_is_inspected_once_without_a_photo_eye()
    {
        // Three held-out parts laid by their coverage masks onto a moving synthetic belt (streaks, seams, a rail), each
        // sliding through 640×320 belt frames, 40 px a frame.
        var heldout = Path.Combine(Path.GetDirectoryName(ModelPath)!, "heldout");
        var camera = new BeltCameraSettings();
        var belt = new BeltTexture(camera.FrameHeight, seed: 3);
        using var frame = new ImageBuffer(camera.FrameWidth, camera.FrameHeight, PixelFormat.Rgb24);
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "parts")).FullName;
        int n = 0;
        long travel = 0;
        foreach (var file in Directory.GetFiles(heldout, "*.jpg").Order(StringComparer.Ordinal).Take(3))
        {
            using var part = new ImageBuffer();
            using var mask = new ImageBuffer();
            ImageCodec.Load(file, part, PixelFormat.Rgb24);
            ImageCodec.Load(Path.Combine(heldout, "masks", Path.ChangeExtension(Path.GetFileName(file), ".png")), mask, PixelFormat.Gray8);
            using var outline = ContinuousConveyor.Outline(mask);
            for (int x = -part.Width + 40; x < camera.FrameWidth + 40; x += 40, travel += 40)
            {
                belt.Render(frame, travel);
                ContinuousConveyor.Composite(part, mask, frame, x, outline: outline);
                ImageCodec.Save(Path.Combine(folder, $"{n++:0000}.png"), frame);
            }
        }

        var config = LineConfig(mode: "\"mode\": \"continuous\", \"continuous\": { \"decisionLineX\": 320 },", loop: false);
        Assert.Equal(InspectionMode.Continuous, config.Mode);
        using var chip = new SimulatedGpioChip();
        var metrics = new MetricsRegistry();
        await using var service = new InspectionService(config, null, metrics, NullLogger.Instance, _ => chip);
        var verdicts = new ConcurrentQueue<PartVerdict>();
        service.PartInspected += verdicts.Enqueue;
        service.Load();
        using var stop = new CancellationTokenSource();
        var run = service.RunAsync(stop.Token);
        // The folder ends (loop: false): health names the camera; the line stays up, idle, until stop.
        using (var patience = new CancellationTokenSource(Wait))
            while (!service.Problems().Any(p => p.Contains("camera ended", StringComparison.Ordinal)))
                await Task.Delay(20, patience.Token);
        Assert.Equal(InspectionServiceState.Running, service.State);
        stop.Cancel();
        await run.WaitAsync(Wait);

        Assert.Equal(3, verdicts.Count);
        Assert.Equal(3, verdicts.Select(v => v.TriggerNs).Distinct().Count());
        Assert.All(verdicts, v => Assert.False(v.Late, $"part {v.PartId} decided late ({v.TriggerToDecisionMs:0.0} ms)"));
        Assert.False(chip.IsRequested(PhotoEye), "continuous mode requests no photo-eye line");
        // Rejects go through the same gate: a 40 ms pulse at crossing + 10 s for each part judged defective, settled before stop returned.
        var pulses = ConveyorSimulation.Pulses(chip.History(Reject));
        var expected = verdicts.Where(v => v.Defective).Select(v => v.TriggerNs + 10_000_000_000L).Order().ToList();
        Assert.Equal(expected.Count, pulses.Count);
        for (int i = 0; i < expected.Count; i++) Assert.InRange(pulses[i].Start - expected[i], -1_000_000, 1_000_000);
        Assert.Contains("edge_inspection_parts_total{line=\"line1\"} 3", metrics.Render());
    }
}
