using System.Collections.Concurrent;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Edge.Agent.Mqtt;
using Edge.Agent.Outbox;
using Edge.Agent.Tests.Support;
using Edge.Models.Synthetic;
using Edge.Agent.Cli;

namespace Edge.Agent.Tests.EndToEnd;

/// <summary>A folder of rendered cards with their expected text, and a config that reads it.</summary>
public sealed class AgentWorkspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("edge-e2e-").FullName;
    public string Cards => Path.Combine(Root, "cards");
    public Dictionary<string, string[]> Expected { get; } = new();
    public int HttpPort { get; } = MosquittoBroker.FreePort();

    public AgentWorkspace(int copies)
    {
        Directory.CreateDirectory(Cards);
        var samples = OcrSampleSet.Generate().Where(s => s.Kind is SampleKind.Horizontal or SampleKind.Vertical or SampleKind.UpsideDown).Take(4).ToList();
        for (int c = 0; c < copies; c++)
            foreach (var s in samples)
            {
                var (file, bytes) = SamplesCommand.Encode(s);
                file = $"{c:D2}-{file}";
                File.WriteAllBytes(Path.Combine(Cards, file), bytes);
                Expected[file] = s.Lines.Select(l => l.Text).ToArray();
            }
        foreach (var s in samples) s.Dispose();
    }

    public string WriteConfig(int brokerPort, double fps, string source = "", string mqttExtra = "")
    {
        var path = Path.Combine(Root, "agent.json");
        var src = source.Length > 0 ? source : $$"""{ "type": "images", "path": "cards", "fps": {{fps}}, "loop": false }""";
        File.WriteAllText(path, $$"""
            { "device": { "id": "kiosk-01" },
              "mqtt": { "host": "127.0.0.1", "port": {{brokerPort}}, "prefix": "edge"{{mqttExtra}} },
              "outbox": { "path": "state/outbox.db" },
              "http": { "port": {{HttpPort}} },
              "pipelines": [
                { "name": "cards", "source": {{src}},
                  "stages": [ { "type": "ocr" } ],
                  "sinks":  [ { "type": "mqtt" }, { "type": "log" } ] } ] }
            """);
        return path;
    }

    public string OutboxPath => Path.Combine(Root, "state", "outbox.db");

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Collects everything under edge/kiosk-01/ and lets a test wait for what it expects.</summary>
public sealed class EventCollector : IAsyncDisposable
{
    private readonly MqttClient _client;
    private readonly Task _pump;
    private readonly CancellationTokenSource _stop = new();
    public ConcurrentQueue<(string Topic, JsonElement Body)> Messages { get; } = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private EventCollector(MqttClient client)
    {
        _client = client;
        _pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var m in client.Messages.ReadAllAsync(_stop.Token))
                {
                    Messages.Enqueue((m.Topic, JsonDocument.Parse(m.Payload).RootElement.Clone()));
                    _arrived.Release();
                }
            }
            catch (OperationCanceledException) { }
        });
    }

    public static async Task<EventCollector> StartAsync(MosquittoBroker broker, MqttTlsOptions? tls = null, string filter = "edge/kiosk-01/#")
    {
        var options = broker.ClientOptions("e2e-collector-" + Guid.NewGuid().ToString("N")[..8]) with { CleanStart = false, Tls = tls };
        var client = new MqttClient(options);
        client.Start();
        await client.WaitForStateAsync(MqttConnectionState.Connected);
        await client.SubscribeAsync(filter, 1);
        return new EventCollector(client);
    }

    /// <summary>The bodies that arrived on exactly <paramref name="topic"/>, in arrival order.</summary>
    public List<JsonElement> On(string topic) => Messages.Where(m => m.Topic == topic).Select(m => m.Body).ToList();

    public long Dropped => _client.DroppedMessages;

    public List<JsonElement> Events => Messages.Where(m => m.Topic == "edge/kiosk-01/events/cards").Select(m => m.Body).ToList();

    /// <summary>Distinct events (by id) in arrival order.</summary>
    public List<JsonElement> DistinctEvents => Events.DistinctBy(e => e.GetProperty("id").GetString()).ToList();

    public async Task WaitUntilAsync(Func<EventCollector, bool> done, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(this))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
                if (!done(this)) throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds} s; got {Events.Count} events ({DistinctEvents.Count} distinct): seq {string.Join(",", DistinctEvents.Select(e => e.GetProperty("seq").GetInt64()))}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _pump;
        await _client.DisposeAsync();
    }
}

[Collection("agent end to end")]
public class AgentEndToEndTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private static string Texts(JsonElement evt) =>
        string.Join("|", evt.GetProperty("ocr").GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString()!.Replace(" ", "")).Order(StringComparer.Ordinal));

    private static string Expected(string[] lines) => string.Join("|", lines.Select(l => l.Replace(" ", "")).Order(StringComparer.Ordinal));

    private static void AssertEveryCardOnceInOrder(AgentWorkspace ws, List<JsonElement> events)
    {
        var bySource = events.GroupBy(e => e.GetProperty("source").GetString()!).ToDictionary(g => g.Key, g => g.First());
        Assert.Equal(ws.Expected.Keys.Order(StringComparer.Ordinal), bySource.Keys.Order(StringComparer.Ordinal));
        foreach (var (file, lines) in ws.Expected)
            Assert.Equal(Expected(lines), Texts(bySource[file]));
        var seqs = events.Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.Order(), seqs);
    }

    [Fact]
    public async Task Images_go_through_ocr_to_mqtt_and_every_event_carries_the_right_text()
    {
        using var ws = new AgentWorkspace(copies: 1);
        using var broker = MosquittoBroker.Start(null);
        await using var events = await EventCollector.StartAsync(broker);
        using var agent = new AgentProcess(ws.WriteConfig(broker.Port, fps: 0));
        await events.WaitUntilAsync(c => c.DistinctEvents.Count >= ws.Expected.Count, "all events arriving", Long);

        var list = events.DistinctEvents;
        AssertEveryCardOnceInOrder(ws, list);
        foreach (var e in list)
        {
            Assert.Equal(1, e.GetProperty("schema").GetInt32());
            Assert.Equal("kiosk-01", e.GetProperty("device").GetString());
            Assert.True(Guid.TryParse(e.GetProperty("id").GetString(), out _));
        }
        Assert.Equal(Enumerable.Range(1, ws.Expected.Count).Select(i => (long)i), list.Select(e => e.GetProperty("seq").GetInt64()));
        var status = events.Messages.First(m => m.Topic == "edge/kiosk-01/status").Body;
        Assert.Equal("online", status.GetProperty("state").GetString());

        using var http = new HttpClient();
        var health = await http.GetAsync($"http://127.0.0.1:{ws.HttpPort}/healthz");
        Assert.Equal(200, (int)health.StatusCode);
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{ws.HttpPort}/metrics");
        Assert.Contains($"edge_events_total{{pipeline=\"cards\"}} {ws.Expected.Count}", metrics);
        Assert.Contains("edge_inference_seconds_bucket{pipeline=\"cards\",model=\"ocr-det\"", metrics);

        Assert.Equal(0, agent.Stop(TimeSpan.FromSeconds(20)));
        await events.WaitUntilAsync(c => c.Messages.Any(m => m.Topic == "edge/kiosk-01/status" && m.Body.GetProperty("state").GetString() == "offline"), "offline status", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_broker_outage_mid_run_loses_no_event_and_keeps_their_order()
    {
        using var ws = new AgentWorkspace(copies: 6);
        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { Persistence = true });
        await using var events = await EventCollector.StartAsync(broker);
        using var agent = new AgentProcess(ws.WriteConfig(broker.Port, fps: 6));
        await events.WaitUntilAsync(c => c.DistinctEvents.Count >= 3, "the first events", Long);

        broker.Stop();
        // Let a few more cards be read while the broker is away (their results wait in the outbox).
        int logged = agent.LastFrameLogged;
        if (logged + 2 <= ws.Expected.Count) await agent.WaitForOutputAsync($"cards frame {logged + 2} ", Long);
        // scripts/soak --outage-seconds N keeps the broker down for minutes: the outage itself, not a wait for an event.
        var outage = LongOutage;
        if (outage > TimeSpan.Zero) await Task.Delay(outage);
        broker.Start();

        try
        {
            // After a long outage the agent's reconnect backoff has reached its 60 s ceiling.
            await events.WaitUntilAsync(c => c.DistinctEvents.Count >= ws.Expected.Count, "every event after the outage",
                outage > TimeSpan.Zero ? Long + TimeSpan.FromSeconds(60) : Long);
        }
        catch (TimeoutException e)
        {
            string status;
            try { using var http = new HttpClient(); status = await http.GetStringAsync($"http://127.0.0.1:{ws.HttpPort}/api/status"); }
            catch (HttpRequestException h) { status = h.Message; }
            throw new TimeoutException($"{e.Message}\ncollector dropped {events.Dropped}\nagent status: {status}\nagent output:\n{agent.Output}");
        }
        AssertEveryCardOnceInOrder(ws, events.DistinctEvents);
    }

    private static TimeSpan LongOutage =>
        int.TryParse(Environment.GetEnvironmentVariable("EDGE_SOAK_OUTAGE_SECONDS"), out int s) && s > 0 ? TimeSpan.FromSeconds(s) : TimeSpan.Zero;

    [Fact]
    public async Task Events_arrive_over_tls_when_the_broker_requires_a_client_certificate()
    {
        var pki = TestCertificates.Shared;
        using var ws = new AgentWorkspace(copies: 1);
        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { Tls = pki, RequireClientCertificate = true });
        await using var events = await EventCollector.StartAsync(broker, new MqttTlsOptions(pki.CaFile, pki.ClientCertFile, pki.ClientKeyFile));
        string tls = $$""", "tls": { "ca": "{{pki.CaFile}}", "cert": "{{pki.ClientCertFile}}", "key": "{{pki.ClientKeyFile}}" }""";
        using var agent = new AgentProcess(ws.WriteConfig(broker.Port, fps: 0, mqttExtra: tls));
        await events.WaitUntilAsync(c => c.DistinctEvents.Count >= ws.Expected.Count, "all events over TLS", Long);

        AssertEveryCardOnceInOrder(ws, events.DistinctEvents);
        Assert.Contains(events.Messages, m => m.Topic == "edge/kiosk-01/status" && m.Body.GetProperty("state").GetString() == "online");
    }

    [Fact]
    public async Task Killing_the_agent_with_sigkill_mid_stream_loses_nothing_committed()
    {
        using var ws = new AgentWorkspace(copies: 4);
        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { Persistence = true });
        await using var events = await EventCollector.StartAsync(broker);
        broker.Stop();
        // The broker is down: results can only go to the outbox. Kill the agent once some are there.
        var config = ws.WriteConfig(broker.Port, fps: 0);
        var first = new AgentProcess(config);
        await first.WaitForOutputAsync("cards frame 6 ", Long);
        first.Kill();
        first.Dispose();

        var pending = new List<OutboxMessage>();
        using (var outbox = Edge.Agent.Outbox.Outbox.Open(new OutboxOptions { Path = ws.OutboxPath }))
            outbox.ReadPending(0, 10_000, pending);
        Assert.NotEmpty(pending);
        var committedIds = pending.Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("id").GetString()!).ToHashSet();

        broker.Start();
        using var second = new AgentProcess(config);
        await events.WaitUntilAsync(c => committedIds.IsSubsetOf(c.Events.Select(e => e.GetProperty("id").GetString()!)), "every event committed before the kill", Long);
        await events.WaitUntilAsync(c => c.DistinctEvents.Select(e => e.GetProperty("source").GetString()).Distinct().Count() >= ws.Expected.Count, "every card", Long);
        // Numbering never goes back after a crash.
        var seqs = events.DistinctEvents.Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
    }

    [Fact]
    public async Task Fuzzed_commands_get_error_replies_and_the_agent_stays_healthy()
    {
        using var ws = new AgentWorkspace(copies: 1);
        using var broker = MosquittoBroker.Start(null);
        using var agent = new AgentProcess(ws.WriteConfig(broker.Port, fps: 0));
        await using var client = await broker.ConnectClientAsync("fuzzer");
        await client.SubscribeAsync("edge/kiosk-01/cmd/+/reply", 1);
        await agent.WaitForOutputAsync("MQTT connected", Long);
        await agent.WaitForOutputAsync("ended", Long);

        // MQTT 5 request/response first.
        await client.SubscribeAsync("fuzzer/replies", 1);
        var rng = new Random(11);
        var names = new[] { "ping", "stats", "snapshot", "config/get", "pipeline/pause", "pipeline/resume", "nope", "a/b/c" };
        int sent = 0;
        for (int i = 0; i < 60; i++)
        {
            var payload = (i % 4) switch
            {
                0 => Encoding.UTF8.GetBytes("{\"pipeline\":\"cards\"}"),
                1 => RandomBytes(rng, 200),
                2 => Encoding.UTF8.GetBytes("{\"pipeline\":" + rng.Next() + "}"),
                _ => RandomBytes(rng, i == 3 ? 70_000 : 20),
            };
            await client.PublishAsync($"edge/kiosk-01/cmd/{names[rng.Next(names.Length)]}", payload, 1, false,
                new MqttPublishProperties { ResponseTopic = "fuzzer/replies", CorrelationData = BitConverter.GetBytes(i) });
            sent++;
        }
        var replies = new List<JsonElement>();
        while (replies.Count < sent)
        {
            var m = await client.NextMessageAsync(TimeSpan.FromSeconds(20));
            Assert.Equal("fuzzer/replies", m.Topic);
            Assert.NotNull(m.CorrelationData);
            replies.Add(JsonDocument.Parse(m.Payload).RootElement.Clone());
        }
        Assert.Contains(replies, r => r.GetProperty("ok").GetBoolean());
        Assert.Contains(replies, r => r.TryGetProperty("error", out var e) && e.GetProperty("code").GetString() == "payload_too_large");
        Assert.All(replies, r => Assert.Equal(1, r.GetProperty("schema").GetInt32()));

        // 3.1.1-style: no response topic, the reply goes to the documented topic.
        await client.PublishAsync("edge/kiosk-01/cmd/ping", Encoding.UTF8.GetBytes("{\"request_id\":\"r-1\"}"), 1);
        var plain = await client.NextMessageAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("edge/kiosk-01/cmd/ping/reply", plain.Topic);
        Assert.Equal("r-1", JsonDocument.Parse(plain.Payload).RootElement.GetProperty("request_id").GetString());

        using var http = new HttpClient();
        Assert.Equal(200, (int)(await http.GetAsync($"http://127.0.0.1:{ws.HttpPort}/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_missing_video_file_shows_in_healthz_and_the_pipeline_recovers_when_it_appears()
    {
        using var ws = new AgentWorkspace(copies: 1);
        using var broker = MosquittoBroker.Start(null);
        var video = Path.Combine(ws.Root, "door.avi");
        var source = $$"""{ "type": "gstreamer", "pipeline": "filesrc location={{video}} ! decodebin ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink" }""";
        using var agent = new AgentProcess(ws.WriteConfig(broker.Port, fps: 0, source));
        using var http = new HttpClient();
        var url = $"http://127.0.0.1:{ws.HttpPort}/healthz";
        string body = await WaitForHealthAsync(http, url, 503, b => b.Contains("door.avi") || b.Contains("filesrc"));
        Assert.Contains("cards", body);

        // The file appears: the source's retry picks it up.
        var gst = System.Diagnostics.Process.Start("gst-launch-1.0", $"-q videotestsrc num-buffers=300 ! video/x-raw,width=320,height=240,framerate=30/1 ! jpegenc ! avimux ! filesink location={video}.tmp")!;
        await gst.WaitForExitAsync();
        File.Move(video + ".tmp", video);
        await WaitForHealthAsync(http, url, 200, _ => true);
    }

    private static async Task<string> WaitForHealthAsync(HttpClient http, string url, int status, Func<string, bool> matches)
    {
        var deadline = DateTime.UtcNow + Long;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var r = await http.GetAsync(url);
                last = $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}";
                if ((int)r.StatusCode == status && matches(last)) return last;
            }
            catch (HttpRequestException e) { last = e.Message; }
            await Task.Delay(200); // polling an HTTP endpoint: there is no event to wait on
        }
        throw new TimeoutException($"/healthz never answered {status} as expected; last: {last}");
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}
