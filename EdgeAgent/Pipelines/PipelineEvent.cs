using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Edge.Models.Ocr;

namespace Edge.Agent.Pipelines;

/// <summary>What a pipeline learned from one frame; stages fill it, sinks consume it.</summary>
public sealed class PipelineEvent
{
    public required string Pipeline { get; init; }
    public required long Frame { get; init; }
    public string? SourceName { get; init; }
    public required DateTimeOffset CapturedAt { get; init; }
    public List<OcrLine> OcrLines { get; } = new();
    public OcrTimings? OcrTimings { get; set; }

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The versioned MQTT payload (docs/mqtt.md): schema, a unique id consumers deduplicate on, the
    /// per-device sequence number and a timestamp.
    /// </summary>
    public void WriteJson(IBufferWriter<byte> output, string device, Guid id, long seq, DateTimeOffset now)
    {
        using var w = new Utf8JsonWriter(output, Options);
        w.WriteStartObject();
        w.WriteNumber("schema", 1);
        w.WriteString("id", id);
        w.WriteString("device", device);
        w.WriteString("pipeline", Pipeline);
        w.WriteNumber("seq", seq);
        w.WriteString("ts", now);
        w.WriteString("captured_at", CapturedAt);
        w.WriteNumber("frame", Frame);
        if (SourceName is not null) w.WriteString("source", SourceName);
        if (OcrTimings is { } t)
        {
            w.WriteStartObject("ocr");
            OcrJson.WriteLines(w, OcrLines);
            OcrJson.WriteTimings(w, t, includeDecode: false);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
