using System.Text.Json;
using Edge.Agent.Outbox;

namespace Edge.Agent.Inspection;

/// <summary>
/// MQTT topics and payloads of an inspection line (documented in docs/mqtt.md):
/// <c>{prefix}/{device}/inspection/{line}/defect</c>, one per defective or late part, and
/// <c>{prefix}/{device}/inspection/{line}/summary</c>, one per minute. Payloads carry <c>"schema": 1</c>.
/// </summary>
public static class InspectionMessages
{
    public static string DefectTopic(string prefix, string device, string line) => $"{prefix}/{device}/inspection/{line}/defect";
    public static string SummaryTopic(string prefix, string device, string line) => $"{prefix}/{device}/inspection/{line}/summary";

    public static byte[] DefectPayload(DefectEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return Write(w =>
        {
            w.WriteNumber("schema", 1);
            w.WriteString("line", e.Line);
            w.WriteNumber("part", e.PartId);
            w.WriteString("ts", e.TriggeredAt.ToUniversalTime().ToString("O"));
            w.WriteNumber("decision_ms", Math.Round(e.TriggerToDecisionMs, 2));
            w.WriteString("outcome", Outcome(e.Outcome));
            w.WriteBoolean("rejected", e.Outcome is GateOutcome.Rejected or GateOutcome.LateRejected);
            w.WriteBoolean("late", e.Outcome is GateOutcome.LateRejected or GateOutcome.LatePassed);
            if (e.Snapshot is null) w.WriteNull("snapshot");
            else w.WriteString("snapshot", e.Snapshot);
            w.WriteStartArray("defects");
            foreach (var d in e.Defects)
            {
                w.WriteStartObject();
                w.WriteString("class", d.Label);
                w.WriteNumber("score", Math.Round(d.Score, 3));
                if (d.IsVerified) w.WriteNumber("verified", Math.Round(d.Verified, 3));
                w.WriteStartArray("box");
                w.WriteNumberValue(Math.Round(d.X1, 1)); w.WriteNumberValue(Math.Round(d.Y1, 1));
                w.WriteNumberValue(Math.Round(d.X2, 1)); w.WriteNumberValue(Math.Round(d.Y2, 1));
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    public static byte[] SummaryPayload(string line, ShiftTotals minute, ShiftTotals shift)
    {
        ArgumentNullException.ThrowIfNull(minute);
        ArgumentNullException.ThrowIfNull(shift);
        return Write(w =>
        {
            w.WriteNumber("schema", 1);
            w.WriteString("line", line);
            Totals(w, "minute", minute);
            Totals(w, "shift", shift);
        });
    }

    public static string Outcome(GateOutcome o) => o switch
    {
        GateOutcome.Passed => "passed",
        GateOutcome.Rejected => "rejected",
        GateOutcome.LateRejected => "late_rejected",
        GateOutcome.LatePassed => "late_passed",
        _ => o.ToString(),
    };

    private static void Totals(Utf8JsonWriter w, string name, ShiftTotals t)
    {
        w.WriteStartObject(name);
        w.WriteString("start", t.Start.ToUniversalTime().ToString("O"));
        w.WriteString("end", t.End.ToUniversalTime().ToString("O"));
        w.WriteNumber("parts", t.Parts);
        w.WriteNumber("defective", t.Defective);
        w.WriteNumber("rejected", t.Rejected);
        w.WriteNumber("late", t.LateDecisions);
        w.WriteNumber("failsafe_rejected", t.FailSafeRejects);
        w.WriteNumber("late_passed", t.LatePassed);
        w.WriteNumber("yield", Math.Round(t.Yield, 4));
        w.WriteStartObject("defects");
        foreach (var (cls, n) in t.DefectsByClass) w.WriteNumber(cls, n);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// Hands a line's events to the outbox (stream <c>inspection</c>), so they survive broker outages; enqueueing is
/// asynchronous and never blocks the line. Failures are counted, not thrown at the line.
/// </summary>
public sealed class OutboxInspectionSink(Edge.Agent.Outbox.Outbox outbox, string prefix, string device) : IInspectionSink
{
    private long _failed;
    private Task _last = Task.CompletedTask;

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Completes once every event handed to the sink so far is committed to the outbox (or failed).</summary>
    public Task WhenCommittedAsync() => Volatile.Read(ref _last).ContinueWith(static _ => { }, CancellationToken.None,
        TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public void OnDefect(DefectEvent e) =>
        Enqueue(InspectionMessages.DefectTopic(prefix, device, e.Line), InspectionMessages.DefectPayload(e));

    public void OnSummary(string line, ShiftTotals minute, ShiftTotals shift) =>
        Enqueue(InspectionMessages.SummaryTopic(prefix, device, line), InspectionMessages.SummaryPayload(line, minute, shift));

    private void Enqueue(string topic, byte[] payload)
    {
        ValueTask<long> pending;
        try { pending = outbox.EnqueueAsync("inspection", topic, payload); }
        catch (Exception e) when (e is OutboxFullException or ObjectDisposedException or ArgumentException)
        {
            Interlocked.Increment(ref _failed);
            return;
        }
        if (pending.IsCompleted) { if (!pending.IsCompletedSuccessfully) Interlocked.Increment(ref _failed); return; }
        var task = pending.AsTask();
        Volatile.Write(ref _last, task); // the outbox commits in the order messages were queued
        _ = task.ContinueWith(t => Interlocked.Increment(ref _failed), CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}

/// <summary>Collects a line's events in memory (the simulator, tests).</summary>
public sealed class RecordingInspectionSink : IInspectionSink
{
    public List<DefectEvent> Defects { get; } = [];
    public List<(string Line, ShiftTotals Minute, ShiftTotals Shift)> Summaries { get; } = [];
    public void OnDefect(DefectEvent e) => Defects.Add(e);
    public void OnSummary(string line, ShiftTotals minute, ShiftTotals shift) => Summaries.Add((line, minute, shift));
}
