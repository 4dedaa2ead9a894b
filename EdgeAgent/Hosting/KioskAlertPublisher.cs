using System.Text.Encodings.Web;
using System.Text.Json;
using Edge.Agent.Kiosk;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Hosting;

/// <summary>
/// The kiosk's alerts on <c>{prefix}/{device}/alerts</c> (docs/mqtt.md): each one is committed to the outbox (QoS 1)
/// before <see cref="Raise"/> returns, so an alert raised while the broker is away is sent when it is back. Without
/// an mqtt section alerts are only logged. Kinds on the wire: paper_out, cover_open, printer_offline, quota_reached, device_missing,
/// recovered.
/// </summary>
public sealed class KioskAlertPublisher(Outbox.Outbox? outbox, string topic, string device, ILogger logger, TimeProvider? time = null) : IKioskAlerts
{
    public const string Stream = "kiosk-alerts";
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The wire name of a kiosk alert kind: paper-out → paper_out; a printer ready again or a device back → recovered.</summary>
    public static string WireKind(string kind) => kind switch
    {
        "printer-ready" or "device-recovered" => "recovered",
        _ => kind.Replace('-', '_'),
    };

    public void Raise(KioskAlert alert)
    {
        var kind = WireKind(alert.Kind);
        // The kiosk and the agent have logged the problem itself; this line says where it went.
        logger.LogInformation("kiosk alert {Kind}{Part} {Where}", kind, alert.Part is null ? "" : $" ({alert.Part})",
            outbox is null ? "logged only (no mqtt section)" : $"queued for {topic}");
        if (kind == "quota_reached") logger.LogInformation("kiosk: {Message}", alert.Message);
        if (outbox is null) return;
        try
        {
            outbox.EnqueueAsync(Stream, topic, Payload(alert, kind), qos: 1).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The kiosk goes on serving guests; the log line above still tells the story.
            logger.LogError(e, "kiosk alert {Kind} could not be committed to the outbox", kind);
        }
    }

    public byte[] Payload(KioskAlert alert, string kind)
    {
        var now = _time.GetUtcNow();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("schema", 1);
            w.WriteString("id", Guid.CreateVersion7(now));
            w.WriteString("device", device);
            w.WriteString("ts", alert.At.ToUniversalTime());
            w.WriteString("kind", kind);
            if (alert.Part is not null) w.WriteString("part", alert.Part);
            w.WriteString("message", alert.Message);
            w.WriteNumber("pending_cards", alert.PendingJobs);
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}
