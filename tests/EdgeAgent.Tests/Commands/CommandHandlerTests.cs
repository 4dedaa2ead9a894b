using System.Text;
using System.Text.Json;
using Edge.Agent.Commands;

namespace Edge.Agent.Tests.Commands;

public class CommandHandlerTests
{
    private sealed class FakeAgent : IAgentControl
    {
        public Dictionary<string, bool> Paused { get; } = new() { ["cards"] = false, ["door"] = false };
        public string DeviceId => "kiosk-01";
        public IReadOnlyList<string> PipelineNames => Paused.Keys.ToList();
        public void WriteStats(Utf8JsonWriter w) { w.WriteStartObject(); w.WriteNumber("frames", 12); w.WriteEndObject(); }
        public void WriteConfig(Utf8JsonWriter w) { w.WriteStartObject(); w.WriteString("device", DeviceId); w.WriteEndObject(); }
        public bool SetPaused(string pipeline, bool paused) { Paused[pipeline] = paused; return true; }
        public byte[]? Snapshot(string pipeline) => pipeline == "cards" ? [0xFF, 0xD8, 0xFF] : null;
        public List<string> Acknowledged { get; } = [];
        public IReadOnlyList<string> InspectionLineNames => ["press-07", "idle-line"];
        public bool AcknowledgeInspectionFault(string line)
        {
            if (line == "idle-line") return false;
            Acknowledged.Add(line);
            return true;
        }
    }

    private readonly FakeAgent _agent = new();
    private CommandHandler Handler => new(_agent);

    private JsonElement Call(string name, string payload) =>
        JsonDocument.Parse(Handler.Handle(name, Encoding.UTF8.GetBytes(payload))).RootElement;

    [Fact]
    public void Inspection_acknowledge_clears_the_named_line_and_refuses_unknown_or_stopped_lines()
    {
        var ok = Call("inspection/acknowledge", """{"line":"press-07"}""");
        Assert.True(ok.GetProperty("ok").GetBoolean());
        Assert.True(ok.GetProperty("result").GetProperty("acknowledged").GetBoolean());
        Assert.Equal(["press-07"], _agent.Acknowledged);

        var unknown = Call("inspection/acknowledge", """{"line":"nope"}""");
        Assert.False(unknown.GetProperty("ok").GetBoolean());
        Assert.Equal("unknown_line", unknown.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("press-07", unknown.GetProperty("error").GetProperty("message").GetString());

        var stopped = Call("inspection/acknowledge", """{"line":"idle-line"}""");
        Assert.Equal("not_running", stopped.GetProperty("error").GetProperty("code").GetString());

        var missing = Call("inspection/acknowledge", "{}");
        Assert.Equal("bad_request", missing.GetProperty("error").GetProperty("code").GetString());
        var wrongType = Call("inspection/acknowledge", """{"line":7}""");
        Assert.Contains("must be a string", wrongType.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(["press-07"], _agent.Acknowledged);
    }

    [Fact]
    public void Ping_answers_with_the_device_and_echoes_the_request_id()
    {
        var r = Call("ping", """{"request_id":"r-7"}""");
        Assert.True(r.GetProperty("ok").GetBoolean());
        Assert.Equal(1, r.GetProperty("schema").GetInt32());
        Assert.Equal("r-7", r.GetProperty("request_id").GetString());
        Assert.Equal("kiosk-01", r.GetProperty("result").GetProperty("device").GetString());
    }

    [Fact]
    public void Pause_and_resume_change_only_the_named_pipeline()
    {
        Assert.True(Call("pipeline/pause", """{"pipeline":"cards"}""").GetProperty("ok").GetBoolean());
        Assert.True(_agent.Paused["cards"]);
        Assert.False(_agent.Paused["door"]);
        Call("pipeline/resume", """{"pipeline":"cards"}""");
        Assert.False(_agent.Paused["cards"]);
    }

    [Fact]
    public void Snapshot_returns_the_jpeg_base64_or_says_there_is_no_frame_yet()
    {
        var r = Call("snapshot", """{"pipeline":"cards"}""");
        Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF }, r.GetProperty("result").GetProperty("jpeg").GetBytesFromBase64());
        var none = Call("snapshot", """{"pipeline":"door"}""");
        Assert.Equal("no_frame", none.GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("reboot", "{}", "unknown_command", "reboot")]
    [InlineData("ping", "{not json", "bad_json", "not valid JSON")]
    [InlineData("ping", "[1,2]", "bad_request", "JSON object")]
    [InlineData("ping", """{"verbose":true}""", "bad_request", "verbose")]
    [InlineData("pipeline/pause", "{}", "bad_request", "needs \"pipeline\"")]
    [InlineData("pipeline/pause", """{"pipeline":42}""", "bad_request", "must be a string")]
    [InlineData("pipeline/pause", """{"pipeline":"nope"}""", "unknown_pipeline", "nope")]
    [InlineData("ping", """{"request_id":5}""", "bad_request", "request_id")]
    public void Bad_requests_get_an_error_reply_that_says_what_was_wrong(string name, string payload, string code, string mentions)
    {
        var r = Call(name, payload);
        Assert.False(r.GetProperty("ok").GetBoolean());
        Assert.Equal(code, r.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains(mentions, r.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public void An_oversized_payload_is_refused_without_parsing_it()
    {
        var r = JsonDocument.Parse(Handler.Handle("ping", new byte[CommandHandler.MaxPayloadBytes + 1])).RootElement;
        Assert.Equal("payload_too_large", r.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public void Random_bytes_and_random_json_always_get_a_well_formed_reply()
    {
        var rng = new Random(7);
        string[] names = [.. CommandHandler.Names, "x", "", "pipeline/", new string('c', 300)];
        for (int i = 0; i < 3000; i++)
        {
            byte[] payload = (i % 3) switch
            {
                0 => RandomBytes(rng),
                1 => Encoding.UTF8.GetBytes(RandomJson(rng, 0)),
                _ => Encoding.UTF8.GetBytes("{\"pipeline\":" + RandomJson(rng, 0) + "}"),
            };
            var reply = Handler.Handle(names[rng.Next(names.Length)], payload);
            var r = JsonDocument.Parse(reply).RootElement;
            Assert.Equal(1, r.GetProperty("schema").GetInt32());
            Assert.True(r.GetProperty("ok").ValueKind is JsonValueKind.True or JsonValueKind.False);
        }
    }

    private static byte[] RandomBytes(Random rng)
    {
        var b = new byte[rng.Next(0, 200)];
        rng.NextBytes(b);
        return b;
    }

    private static string RandomJson(Random rng, int depth) => rng.Next(depth > 3 ? 4 : 7) switch
    {
        0 => "null",
        1 => rng.Next(2) == 0 ? "true" : "false",
        2 => rng.NextDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
        3 => JsonSerializer.Serialize(new string((char)rng.Next(32, 0x4e00), rng.Next(0, 10))),
        4 => "[" + string.Join(",", Enumerable.Range(0, rng.Next(4)).Select(_ => RandomJson(rng, depth + 1))) + "]",
        _ => "{" + string.Join(",", Enumerable.Range(0, rng.Next(4)).Select(k => $"\"k{k}\":" + RandomJson(rng, depth + 1))) + "}",
    };
}
