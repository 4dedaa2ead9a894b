using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Edge.Agent.Commands;

/// <summary>What the commands can see and do in the running agent.</summary>
public interface IAgentControl
{
    string DeviceId { get; }
    IReadOnlyList<string> PipelineNames { get; }
    /// <summary>Writes the stats object (pipelines, outbox, mqtt, process).</summary>
    void WriteStats(Utf8JsonWriter w);
    /// <summary>The effective configuration, secrets removed.</summary>
    void WriteConfig(Utf8JsonWriter w);
    bool SetPaused(string pipeline, bool paused);
    byte[]? Snapshot(string pipeline);
    /// <summary>The configured inspection lines (empty without an "inspection" section).</summary>
    IReadOnlyList<string> InspectionLineNames { get; }
    /// <summary>Clears a line's fault (red stack light); false when the line is not running.</summary>
    bool AcknowledgeInspectionFault(string line);
}

/// <summary>
/// Turns a command request (name + JSON payload) into a reply payload. Every bad input — unknown
/// command, malformed JSON, wrong types, oversized payload, unknown pipeline — gets an error reply
/// saying what was wrong; nothing here throws or touches the pipelines except as asked.
/// </summary>
public sealed class CommandHandler(IAgentControl agent)
{
    public const int MaxPayloadBytes = 64 * 1024;
    public static readonly string[] Names = ["ping", "stats", "snapshot", "config/get", "pipeline/pause", "pipeline/resume", "inspection/acknowledge"];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed class CommandError(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }

    public byte[] Handle(string name, ReadOnlySpan<byte> payload)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using var w = new Utf8JsonWriter(output, WriterOptions);
        string? requestId = null;
        try
        {
            if (payload.Length > MaxPayloadBytes)
                throw new CommandError("payload_too_large", $"payload is {payload.Length} bytes; the limit is {MaxPayloadBytes}");
            using var doc = Parse(payload);
            var args = doc?.RootElement;
            if (args is { ValueKind: not JsonValueKind.Object })
                throw new CommandError("bad_request", $"payload must be a JSON object, got {args.Value.ValueKind.ToString().ToLowerInvariant()}");
            if (args is { } a && a.TryGetProperty("request_id", out var rid))
                requestId = rid.ValueKind == JsonValueKind.String ? rid.GetString() : throw new CommandError("bad_request", "request_id must be a string");

            w.WriteStartObject();
            w.WriteNumber("schema", 1);
            w.WriteString("command", name);
            if (requestId is not null) w.WriteString("request_id", requestId);
            w.WriteBoolean("ok", true);
            w.WritePropertyName("result");
            Run(name, args, w);
            w.WriteEndObject();
            w.Flush();
            return output.WrittenSpan.ToArray();
        }
        catch (CommandError e)
        {
            return Error(name, requestId, e.Code, e.Message);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or System.Text.DecoderFallbackException)
        {
            return Error(name, requestId, "bad_request", e.Message);
        }
    }

    private static JsonDocument? Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload.Trim(" \t\r\n"u8).IsEmpty) return null;
        try { return JsonDocument.Parse(payload.ToArray(), new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw new CommandError("bad_json", $"payload is not valid JSON: {e.Message.Split(" Path:")[0]}"); }
        catch (ArgumentException e) { throw new CommandError("bad_json", $"payload is not valid UTF-8 JSON: {e.Message}"); }
    }

    private void Run(string name, JsonElement? args, Utf8JsonWriter w)
    {
        switch (name)
        {
            case "ping":
                Only(args);
                w.WriteStartObject();
                w.WriteString("device", agent.DeviceId);
                w.WriteString("ts", DateTimeOffset.UtcNow);
                w.WriteEndObject();
                break;
            case "stats":
                Only(args);
                agent.WriteStats(w);
                break;
            case "config/get":
                Only(args);
                agent.WriteConfig(w);
                break;
            case "pipeline/pause":
            case "pipeline/resume":
            {
                var pipeline = Pipeline(args, name);
                agent.SetPaused(pipeline, name == "pipeline/pause");
                w.WriteStartObject();
                w.WriteString("pipeline", pipeline);
                w.WriteBoolean("paused", name == "pipeline/pause");
                w.WriteEndObject();
                break;
            }
            case "snapshot":
            {
                var pipeline = Pipeline(args, name);
                var jpeg = agent.Snapshot(pipeline) ?? throw new CommandError("no_frame", $"pipeline \"{pipeline}\" has not processed a frame yet");
                w.WriteStartObject();
                w.WriteString("pipeline", pipeline);
                w.WriteString("content_type", "image/jpeg");
                w.WriteBase64String("jpeg", jpeg);
                w.WriteEndObject();
                break;
            }
            case "inspection/acknowledge":
            {
                Only(args, "line");
                var lines = agent.InspectionLineNames;
                if (lines.Count == 0) throw new CommandError("bad_request", "this agent has no inspection lines");
                if (args is not { } a || !a.TryGetProperty("line", out var l))
                    throw new CommandError("bad_request", $"{name} needs \"line\": one of {string.Join(", ", lines)}");
                if (l.ValueKind != JsonValueKind.String)
                    throw new CommandError("bad_request", $"\"line\" must be a string, got {l.ValueKind.ToString().ToLowerInvariant()}");
                var line = l.GetString()!;
                if (!lines.Contains(line))
                    throw new CommandError("unknown_line", $"no inspection line \"{Truncate(line)}\"; configured: {string.Join(", ", lines)}");
                if (!agent.AcknowledgeInspectionFault(line))
                    throw new CommandError("not_running", $"inspection line \"{line}\" is not running (waiting for its devices or stopping)");
                w.WriteStartObject();
                w.WriteString("line", line);
                w.WriteBoolean("acknowledged", true);
                w.WriteEndObject();
                break;
            }
            default:
                throw new CommandError("unknown_command", $"unknown command \"{Truncate(name)}\"; known: {string.Join(", ", Names)}");
        }
    }

    private static void Only(JsonElement? args, params string[] allowed)
    {
        if (args is not { } a) return;
        foreach (var p in a.EnumerateObject())
            if (p.Name != "request_id" && !allowed.Contains(p.Name))
                throw new CommandError("bad_request", $"unknown argument \"{Truncate(p.Name)}\"" + (allowed.Length > 0 ? $"; allowed: {string.Join(", ", allowed)}" : "; this command takes none"));
    }

    private string Pipeline(JsonElement? args, string command)
    {
        Only(args, "pipeline");
        if (args is not { } a || !a.TryGetProperty("pipeline", out var p))
            throw new CommandError("bad_request", $"{command} needs \"pipeline\": one of {string.Join(", ", agent.PipelineNames)}");
        if (p.ValueKind != JsonValueKind.String)
            throw new CommandError("bad_request", $"\"pipeline\" must be a string, got {p.ValueKind.ToString().ToLowerInvariant()}");
        var name = p.GetString()!;
        if (!agent.PipelineNames.Contains(name))
            throw new CommandError("unknown_pipeline", $"no pipeline \"{Truncate(name)}\"; known: {string.Join(", ", agent.PipelineNames)}");
        return name;
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";

    private static byte[] Error(string command, string? requestId, string code, string message)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(output, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("schema", 1);
            w.WriteString("command", Truncate(command));
            if (requestId is not null) w.WriteString("request_id", requestId);
            w.WriteBoolean("ok", false);
            w.WriteStartObject("error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }
}
