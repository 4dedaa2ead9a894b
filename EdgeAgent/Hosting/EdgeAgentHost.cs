using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Edge.Agent.Capture;
using Edge.Agent.Commands;
using Edge.Agent.Config;
using Edge.Agent.Kiosk;
using Edge.Agent.Metrics;
using Edge.Agent.Mqtt;
using Edge.Agent.Pipelines;
using Edge.Models.Ocr;
using Edge.Models.Onnx;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Hosting;

/// <summary>
/// The running agent: pipelines, the festival kiosk, the outbox and its publisher, MQTT (status, telemetry,
/// commands, kiosk alerts), the HTTP endpoints and systemd notifications, built from one validated config.
/// </summary>
public sealed partial class EdgeAgentHost : IAsyncDisposable, IAgentControl
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly AgentConfig _config;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly SystemdNotifier _notifier;
    private readonly TimeProvider _time;
    private readonly List<Pipeline> _pipelines = new();
    private readonly DateTimeOffset _started;
    private Outbox.Outbox? _outbox;
    private MqttClient? _mqtt;
    private OutboxPublisher? _publisher;
    private EventSequence? _sequence;
    private CommandHandler? _commands;
    private readonly KioskHardwareFactory _kioskHardware;
    private KioskService? _kiosk;
    private OcrEngine? _kioskOcr;

    public MetricsRegistry Metrics { get; } = new();

    private EdgeAgentHost(AgentConfig config, ILoggerFactory loggers, SystemdNotifier notifier, TimeProvider time, KioskHardwareFactory? kioskHardware)
    {
        _kioskHardware = kioskHardware ?? KioskHardware.Open;
        _config = config;
        _loggers = loggers;
        _log = loggers.CreateLogger("Edge.Agent");
        _notifier = notifier;
        _time = time;
        _started = time.GetUtcNow();
    }

    public string DeviceId => _config.Device.Id;
    public IReadOnlyList<string> PipelineNames => _pipelines.Select(p => p.Name).ToList();
    public string Topic(string suffix) => $"{_config.Mqtt!.Prefix}/{_config.Device.Id}/{suffix}";

    /// <summary>Runs the agent until <paramref name="ct"/> is cancelled (SIGTERM, Ctrl+C); returns the exit code.</summary>
    /// <param name="kioskHardware">Makes the kiosk's devices (tests pass simulators); by default they are opened from the config.</param>
    public static async Task<int> RunAsync(AgentConfig config, CancellationToken ct, KioskHardwareFactory? kioskHardware = null)
    {
        var started = Stopwatch.GetTimestamp();
        var underSystemd = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("INVOCATION_ID"))
                           || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        if (underSystemd) builder.Logging.AddSystemdConsole(o => o.TimestampFormat = null);
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        if (config.Http.Enabled)
            builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Parse(config.Http.Host == "localhost" ? "127.0.0.1" : config.Http.Host), config.Http.Port));
        else
            builder.WebHost.UseKestrel(k => k.ListenLocalhost(0));
        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        await using var agent = new EdgeAgentHost(config, loggers, SystemdNotifier.FromEnvironment(), TimeProvider.System, kioskHardware);
        try
        {
            agent.Build();
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or OnnxRuntimeException or OnnxRuntimeNotFoundException
                                     or ArgumentException or Outbox.OutboxCorruptException or ConfigException)
        {
            agent._log.LogCritical("Cannot start: {Message}", e.Message);
            return 1;
        }
        if (config.Http.Enabled) agent.MapEndpoints(app);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
        await app.StartAsync(CancellationToken.None);
        var work = agent.StartAsync(stopping.Token);
        agent._log.LogInformation("Edge agent {Device} ready in {Ms:0} ms: {Count} pipeline(s){Kiosk}{Http}", config.Device.Id,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds, agent._pipelines.Count, agent._kiosk is null ? "" : ", the kiosk",
            config.Http.Enabled ? $", http://{config.Http.Host}:{ResolvedPort(app)}" : "");
        agent._notifier.Ready(agent.StatusLine());
        try { await Task.Delay(Timeout.Infinite, stopping.Token); }
        catch (OperationCanceledException) { }
        agent._notifier.Stopping();
        agent._log.LogInformation("Stopping: finishing frames in hand{Kiosk} and flushing the outbox", agent._kiosk is null ? "" : " and the kiosk's step in progress");
        await agent.StopAsync(work);
        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    private static string ResolvedPort(WebApplication app) =>
        app.Urls.FirstOrDefault()?.Split(':').Last() ?? "?";

    private void Build()
    {
        var cfg = _config;
        // Kiosk alerts and inspection events go through the outbox too, so they survive broker outages.
        if (cfg.Pipelines.Any(p => p.Sinks.Any(s => s.Type == "mqtt")) || ((cfg.Kiosk is not null || cfg.Inspection is not null) && cfg.Mqtt is not null))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cfg.Outbox.Path)!);
            _outbox = Outbox.Outbox.Open(new Outbox.OutboxOptions
            {
                Path = cfg.Outbox.Path, MaxBytes = cfg.Outbox.MaxBytes, MaxAge = cfg.Outbox.MaxAge, Overflow = cfg.Outbox.Overflow,
            }, _loggers.CreateLogger("Edge.Outbox"));
            _sequence = new EventSequence(cfg.Outbox.Path + ".seq");
            var stats = () => _outbox!.Stats;
            Metrics.GaugeFunc("edge_outbox_depth", "Results waiting in the outbox for the broker.", () => stats().Depth);
            Metrics.GaugeFunc("edge_outbox_bytes", "Payload bytes in the outbox.", () => stats().Bytes);
            Metrics.GaugeFunc("edge_outbox_oldest_seconds", "Age of the oldest result in the outbox.", () => stats().OldestAge.TotalSeconds);
            Metrics.GaugeFunc("edge_outbox_dropped_total", "Results the outbox dropped, by reason.", () => stats().DroppedForSize, ("reason", "size"));
            Metrics.GaugeFunc("edge_outbox_dropped_total", "Results the outbox dropped, by reason.", () => stats().DroppedForAge, ("reason", "age"));
            Metrics.GaugeFunc("edge_outbox_dropped_total", "Results the outbox dropped, by reason.", () => stats().Rejected, ("reason", "rejected"));
        }
        if (cfg.Mqtt is { } m)
        {
            _mqtt = new MqttClient(new MqttOptions
            {
                Host = m.Host, Port = m.Port, ClientId = m.ClientId, Protocol = m.Protocol, KeepAliveSeconds = m.KeepAliveSeconds,
                Username = m.Username, Password = m.Password,
                Tls = m.Tls is null ? null : new MqttTlsOptions(m.Tls.CaFile, m.Tls.CertFile, m.Tls.KeyFile),
                Will = new MqttWill(Topic("status"), StatusPayload("offline"), 1, true),
            }, _loggers.CreateLogger("Edge.Mqtt"));
            _mqtt.StateChanged += OnMqttState;
            Metrics.GaugeFunc("edge_mqtt_connected", "1 while connected to the broker.", () => _mqtt.State == MqttConnectionState.Connected ? 1 : 0);
            if (_outbox is not null) _publisher = new OutboxPublisher(_outbox, _mqtt, Metrics, _loggers.CreateLogger("Edge.Publisher"));
            _commands = new CommandHandler(this);
        }
        Metrics.GaugeFunc("process_resident_memory_bytes", "Resident set size.", () => Environment.WorkingSet);
        Metrics.GaugeFunc("dotnet_gc_heap_bytes", "Managed heap size.", () => GC.GetGCMemoryInfo().HeapSizeBytes);
        Metrics.GaugeFunc("dotnet_gc_collections_total", "Gen 0 collections.", () => GC.CollectionCount(0), ("generation", "0"));
        Metrics.GaugeFunc("dotnet_gc_collections_total", "Gen 2 collections.", () => GC.CollectionCount(2), ("generation", "2"));

        foreach (var p in cfg.Pipelines) _pipelines.Add(BuildPipeline(p));
        if (cfg.Kiosk is { } kiosk) BuildKiosk(kiosk);
        BuildInspection();
    }

    private void BuildKiosk(KioskConfig kiosk)
    {
        var logger = _loggers.CreateLogger("Edge.Kiosk");
        var models = _config.OcrModels is null ? OcrModelSet.Default : OcrModelSet.FromDirectory(_config.OcrModels);
        _kioskOcr = OcrEngine.Load(models, OcrOptions.Default, logger);
        _kioskOcr.Warmup();
        var alerts = new KioskAlertPublisher(_config.Mqtt is null ? null : _outbox, _config.Mqtt is null ? "" : Topic("alerts"), DeviceId, logger, _time);
        var hardware = _kioskHardware(kiosk, _loggers);
        _kiosk = new KioskService(kiosk, hardware, new OcrCardReader(_kioskOcr), alerts, logger);
        _kiosk.RegisterMetrics(Metrics);
    }

    private Pipeline BuildPipeline(PipelineConfig p)
    {
        var logger = _loggers.CreateLogger($"Edge.Pipeline.{p.Name}");
        var stages = new List<IStage>();
        var sinks = new List<ISink>();
        foreach (var s in p.Stages)
        {
            var models = _config.OcrModels is null ? OcrModelSet.Default : OcrModelSet.FromDirectory(_config.OcrModels);
            var engine = OcrEngine.Load(models, OcrOptions.Default, logger);
            engine.Warmup();
            stages.Add(new OcrStage(engine, Metrics, p.Name));
        }
        foreach (var s in p.Sinks)
        {
            sinks.Add(s.Type switch
            {
                "mqtt" => new MqttSink(_outbox!, _sequence!, _config.Device.Id, Topic($"events/{p.Name}"), _time),
                "snapshot" => new SnapshotSink(s.Path!, s.Every),
                _ => new LogSink(logger),
            });
        }
        var source = FrameSources.Create(p.Name, p.Source, p.Triggered, logger, p.QueueCapacity);
        return new Pipeline(p.Name, source, stages, sinks, Metrics, logger, _time);
    }

    private readonly List<Task> _background = new();

    private Task StartAsync(CancellationToken ct)
    {
        var tasks = _pipelines.Select(p => Task.Run(() => p.RunAsync(ct), CancellationToken.None)).ToList();
        if (_mqtt is not null)
        {
            _mqtt.Start();
            _background.Add(Task.Run(() => SubscribeCommandsAsync(ct), CancellationToken.None));
            _background.Add(Task.Run(() => TelemetryLoopAsync(ct), CancellationToken.None));
        }
        if (_publisher is not null) _background.Add(Task.Run(() => _publisher.RunAsync(_publishStop.Token), CancellationToken.None));
        _kiosk?.Start();
        _background.Add(Task.Run(() => WatchdogLoopAsync(ct), CancellationToken.None));
        tasks.AddRange(StartInspection(ct));
        return Task.WhenAll(tasks);
    }

    private readonly CancellationTokenSource _publishStop = new();

    private async Task StopAsync(Task pipelines)
    {
        var kiosk = _kiosk?.StopAsync(TimeSpan.FromSeconds(10)) ?? Task.CompletedTask;
        try { await pipelines.WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
        catch (Exception e) { _log.LogError(e, "A pipeline failed while stopping"); }
        await kiosk;
        await InspectionCommittedAsync();
        // Flush: give the publisher a few seconds to empty the outbox; what remains is sent on the next start.
        if (_publisher is not null && _mqtt?.State == MqttConnectionState.Connected)
        {
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
            while (_publisher.Pending > 0 && Stopwatch.GetTimestamp() < deadline && _mqtt.State == MqttConnectionState.Connected)
                await Task.Delay(20);
            if (_publisher.Pending > 0) _log.LogWarning("{Count} results stay in the outbox and will be sent after restart", _publisher.Pending);
        }
        _publishStop.Cancel();
        if (_mqtt?.State == MqttConnectionState.Connected)
        {
            try { await _mqtt.PublishAsync(Topic("status"), StatusPayload("offline"), 1, retain: true).WaitAsync(TimeSpan.FromSeconds(2)); }
            catch (Exception e) when (e is not OutOfMemoryException) { _log.LogDebug(e, "offline status not sent"); }
        }
        try { await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
    }

    private void OnMqttState(MqttConnectionState state)
    {
        if (state != MqttConnectionState.Connected) return;
        _ = _mqtt!.PublishAsync(Topic("status"), StatusPayload("online"), 1, retain: true).ContinueWith(
            t => { if (t.IsFaulted) _log.LogWarning("online status not sent: {Error}", t.Exception!.GetBaseException().Message); }, TaskScheduler.Default);
    }

    private byte[] StatusPayload(string state)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("schema", 1);
            w.WriteString("state", state);
            w.WriteString("device", DeviceId);
            w.WriteString("ts", _time.GetUtcNow());
            if (state == "online")
            {
                w.WriteString("version", typeof(EdgeAgentHost).Assembly.GetName().Version?.ToString() ?? "0");
                w.WriteString("onnxruntime", OnnxRuntime.Version);
                w.WriteStartArray("pipelines");
                foreach (var p in _pipelines) w.WriteStringValue(p.Name);
                w.WriteEndArray();
                w.WriteStartArray("models");
                foreach (var name in new[] { OcrModelSet.DetectorFile, OcrModelSet.ClassifierFile, OcrModelSet.RecognizerFile }) w.WriteStringValue(name);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private async Task SubscribeCommandsAsync(CancellationToken ct)
    {
        var filter = Topic("cmd/#"); // names have levels: pipeline/pause
        try
        {
            await _mqtt!.SubscribeAsync(filter, 1, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Subscriptions are remembered and made again on every connect.
            _log.LogDebug("command subscription deferred: {Error}", e.Message);
        }
        var prefix = Topic("cmd/");
        try
        {
            await foreach (var message in _mqtt!.Messages.ReadAllAsync(ct))
            {
                if (!message.Topic.StartsWith(prefix, StringComparison.Ordinal) || message.Topic.EndsWith("/reply", StringComparison.Ordinal)) continue;
                var name = message.Topic[prefix.Length..];
                var reply = _commands!.Handle(name, message.Payload.Span);
                try { await _mqtt.ReplyAsync(message, reply, message.Topic + "/reply", ct); }
                catch (Exception e) when (e is not OperationCanceledException) { _log.LogWarning("reply to {Command} not sent: {Error}", name, e.Message); }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private async Task TelemetryLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (_mqtt!.State != MqttConnectionState.Connected) continue;
                using var ms = new MemoryStream();
                using (var w = new Utf8JsonWriter(ms, JsonOptions)) WriteTelemetry(w);
                try { await _mqtt.PublishAsync(Topic("telemetry"), ms.ToArray(), 0, false, null, ct); }
                catch (Exception e) when (e is not OperationCanceledException) { _log.LogDebug("telemetry not sent: {Error}", e.Message); }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private void WriteTelemetry(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("schema", 1);
        w.WriteString("device", DeviceId);
        w.WriteString("ts", _time.GetUtcNow());
        w.WritePropertyName("stats");
        WriteStats(w);
        w.WriteEndObject();
    }

    /// <summary>Pings the watchdog only while every running pipeline makes progress, so systemd restarts a stuck agent.</summary>
    private async Task WatchdogLoopAsync(CancellationToken ct)
    {
        var limit = _notifier.WatchdogInterval ?? TimeSpan.FromSeconds(30);
        using var timer = new PeriodicTimer(limit / 2 < TimeSpan.FromSeconds(5) ? limit / 2 : TimeSpan.FromSeconds(5), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var stuck = StuckPipelines(limit);
                if (stuck.Count == 0) _notifier.Watchdog();
                else _log.LogWarning("No progress for {Limit}s in {Pipelines}: withholding the watchdog ping", limit.TotalSeconds, string.Join(", ", stuck));
                _notifier.Status(StatusLine());
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private const string KioskStuck = "kiosk thread";

    /// <summary>Running pipelines whose source delivers frames but which have not finished one within the limit, and "kiosk" when its thread hangs in one step.</summary>
    public List<string> StuckPipelines(TimeSpan limit)
    {
        var now = _time.GetUtcNow();
        var stuck = new List<string>();
        foreach (var p in _pipelines)
        {
            var s = p.Status;
            // A lost camera is the source's business (it retries and shows in health), not a hang.
            bool waitingOnSource = s.Source.State is not SourceState.Running;
            if (s.State == PipelineState.Running && !waitingOnSource && now - p.LastProgressAt > limit) stuck.Add(p.Name);
        }
        if (_kiosk is { } kiosk && kiosk.TimeInStep > limit + kiosk.LongestPlannedWait) stuck.Add(KioskStuck);
        foreach (var line in _inspection)
            if (line.TimeInTurn > limit + line.Config.Options.RejectDelay) stuck.Add($"inspection line {line.Name}");
        return stuck;
    }

    public string StatusLine()
    {
        var parts = _pipelines.Select(p => $"{p.Name} {p.Status.Fps:0.0} fps");
        var tail = _outbox is null ? "" : $", outbox {_outbox.Stats.Depth}";
        var mqtt = _mqtt is null ? "" : $", mqtt {_mqtt.State.ToString().ToLowerInvariant()}";
        var kiosk = _kiosk?.Status is { } k ? $"kiosk {KioskService.StateName(k.State)}, {k.Usage.Today.CardsPrinted} card(s) today" : null;
        return string.Join(", ", kiosk is null ? parts : parts.Append(kiosk)) + tail + mqtt;
    }

    /// <summary>Health: 200 when all is well; otherwise 503 with the reasons.</summary>
    public (bool Healthy, List<string> Reasons) Health()
    {
        var reasons = new List<string>();
        foreach (var p in _pipelines)
        {
            var s = p.Status;
            if (s.State == PipelineState.Faulted) reasons.Add($"pipeline {p.Name} failed: {s.Reason}");
            if (s.Source.State is SourceState.Retrying or SourceState.Failed)
                reasons.Add($"pipeline {p.Name}: source {s.Source.State.ToString().ToLowerInvariant()}: {s.Source.Reason}");
        }
        foreach (var name in StuckPipelines(_notifier.WatchdogInterval ?? TimeSpan.FromSeconds(30)))
            reasons.Add(name == KioskStuck ? "the kiosk is stuck in one step"
                : name.StartsWith("inspection line ", StringComparison.Ordinal) ? $"{name} is stuck on one part"
                : $"pipeline {name} makes no progress");
        if (_kiosk is not null) reasons.AddRange(_kiosk.Problems());
        reasons.AddRange(InspectionProblems());
        if (_mqtt is not null && _mqtt.State != MqttConnectionState.Connected)
            reasons.Add($"mqtt {_mqtt.State.ToString().ToLowerInvariant()}: {_mqtt.LastError ?? "not connected yet"}");
        return (reasons.Count == 0, reasons);
    }

    private void MapEndpoints(WebApplication app)
    {
        app.MapGet("/healthz", () =>
        {
            var (ok, reasons) = Health();
            return Results.Text(ok ? "ok\n" : string.Join('\n', reasons) + "\n", "text/plain", statusCode: ok ? 200 : 503);
        });
        app.MapGet("/metrics", () => Results.Text(Metrics.Render(), "text/plain; version=0.0.4"));
        app.MapGet("/api/status", () =>
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, JsonOptions)) WriteTelemetry(w);
            return Results.Bytes(ms.ToArray(), "application/json");
        });
    }

    public void WriteStats(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("uptime_s", Math.Round((_time.GetUtcNow() - _started).TotalSeconds, 1));
        var (healthy, reasons) = Health();
        w.WriteBoolean("healthy", healthy);
        w.WriteStartArray("problems");
        foreach (var r in reasons) w.WriteStringValue(r);
        w.WriteEndArray();
        w.WriteStartObject("pipelines");
        foreach (var p in _pipelines)
        {
            var s = p.Status;
            w.WriteStartObject(p.Name);
            w.WriteString("state", s.State.ToString().ToLowerInvariant());
            if (s.Reason is not null) w.WriteString("reason", s.Reason);
            w.WriteNumber("fps", Math.Round(s.Fps, 2));
            w.WriteNumber("frames", s.Frames);
            w.WriteNumber("events", s.Events);
            w.WriteNumber("errors", s.Errors);
            w.WriteNumber("dropped", s.Source.Dropped + s.PausedDrops);
            w.WriteStartObject("source");
            w.WriteString("state", s.Source.State.ToString().ToLowerInvariant());
            if (s.Source.Reason is not null) w.WriteString("reason", s.Source.Reason);
            w.WriteNumber("restarts", s.Source.Restarts);
            w.WriteNumber("frames", s.Source.Frames);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        _kiosk?.WriteStats(w);
        WriteInspectionStats(w);
        if (_outbox is not null)
        {
            var o = _outbox.Stats;
            w.WriteStartObject("outbox");
            w.WriteNumber("depth", o.Depth);
            w.WriteNumber("bytes", o.Bytes);
            w.WriteNumber("oldest_s", Math.Round(o.OldestAge.TotalSeconds, 1));
            w.WriteNumber("dropped_size", o.DroppedForSize);
            w.WriteNumber("dropped_age", o.DroppedForAge);
            w.WriteNumber("rejected", o.Rejected);
            w.WriteEndObject();
        }
        if (_mqtt is not null)
        {
            w.WriteStartObject("mqtt");
            w.WriteString("state", _mqtt.State.ToString().ToLowerInvariant());
            if (_mqtt.LastError is not null) w.WriteString("last_error", _mqtt.LastError);
            w.WriteEndObject();
        }
        w.WriteStartObject("process");
        w.WriteNumber("rss_mb", Math.Round(Environment.WorkingSet / 1048576.0, 1));
        w.WriteNumber("gc_heap_mb", Math.Round(GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0, 1));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public void WriteConfig(Utf8JsonWriter w)
    {
        var c = _config;
        w.WriteStartObject();
        w.WriteString("file", c.File);
        w.WriteString("device", c.Device.Id);
        if (c.Mqtt is { } m)
        {
            w.WriteStartObject("mqtt");
            w.WriteString("host", m.Host);
            w.WriteNumber("port", m.Port);
            w.WriteString("prefix", m.Prefix);
            w.WriteString("protocol", m.Protocol == MqttProtocol.V5 ? "5" : "3.1.1");
            if (m.Username is not null) w.WriteString("username", m.Username);
            w.WriteBoolean("tls", m.Tls is not null);
            w.WriteEndObject();
        }
        w.WriteStartArray("pipelines");
        foreach (var p in c.Pipelines)
        {
            w.WriteStartObject();
            w.WriteString("name", p.Name);
            w.WriteString("source", p.Source.Type.ToString().ToLowerInvariant());
            w.WriteStartArray("stages");
            foreach (var s in p.Stages) w.WriteStringValue(s.Type);
            w.WriteEndArray();
            w.WriteStartArray("sinks");
            foreach (var s in p.Sinks) w.WriteStringValue(s.Type);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public bool SetPaused(string pipeline, bool paused)
    {
        var p = _pipelines.FirstOrDefault(x => x.Name == pipeline);
        if (p is null) return false;
        p.Paused = paused;
        return true;
    }

    public byte[]? Snapshot(string pipeline) => _pipelines.FirstOrDefault(x => x.Name == pipeline)?.LastFrameJpeg();

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _pipelines) await p.DisposeAsync();
        if (_kiosk is not null) await _kiosk.DisposeAsync();
        _kioskOcr?.Dispose();
        await DisposeInspectionAsync();
        if (_mqtt is not null) await _mqtt.DisposeAsync();
        if (_outbox is not null) await _outbox.DisposeAsync();
        _notifier.Dispose();
        _publishStop.Dispose();
    }
}
