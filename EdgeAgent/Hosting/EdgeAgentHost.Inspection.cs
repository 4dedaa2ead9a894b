using System.Text.Json;
using Edge.Agent.Inspection;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Hosting;

// The "inspection" section: one InspectionService per factory line, built (model loaded and warmed) before READY,
// run beside the pipelines, reported in /healthz, /metrics, /api/status and telemetry, settled on stop.
public sealed partial class EdgeAgentHost
{
    private readonly List<InspectionService> _inspection = new();
    private readonly List<OutboxInspectionSink> _inspectionSinks = new();

    public IReadOnlyList<InspectionService> InspectionLines => _inspection;

    public IReadOnlyList<string> InspectionLineNames => _inspection.Select(s => s.Name).ToList();

    public bool AcknowledgeInspectionFault(string line) =>
        _inspection.FirstOrDefault(s => s.Name == line) is { } service && service.RequestFaultAcknowledge();

    private void BuildInspection()
    {
        if (_config.Inspection is not { } inspection) return;
        foreach (var line in inspection.Lines)
        {
            IInspectionSink? sink = null;
            if (_outbox is not null)
            {
                var outboxSink = new OutboxInspectionSink(_outbox, _config.Mqtt!.Prefix, _config.Device.Id);
                _inspectionSinks.Add(outboxSink);
                sink = outboxSink;
            }
            var service = new InspectionService(line, sink, Metrics, _loggers.CreateLogger($"Edge.Inspection.{line.Name}"));
            _inspection.Add(service);
            service.Load();
        }
        if (_outbox is null)
            _log.LogWarning("Inspection: no \"mqtt\" section, so defect events and summaries are not sent (counters only: /metrics, /api/status)");
    }

    private IEnumerable<Task> StartInspection(CancellationToken ct) => _inspection.Select(s => s.RunAsync(ct)).ToList();

    /// <summary>Waits until every defect event and summary the lines produced is committed to the outbox, so the flush sends them.</summary>
    private async Task InspectionCommittedAsync()
    {
        try { await Task.WhenAll(_inspectionSinks.Select(s => s.WhenCommittedAsync())).WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (TimeoutException) { _log.LogWarning("Inspection events still being written to the outbox at stop"); }
    }

    private IEnumerable<string> InspectionProblems() => _inspection.SelectMany(s => s.Problems());

    private void WriteInspectionStats(Utf8JsonWriter w)
    {
        if (_inspection.Count == 0) return;
        w.WriteStartObject("inspection");
        foreach (var s in _inspection) s.WriteStats(w);
        w.WriteEndObject();
    }

    private async ValueTask DisposeInspectionAsync()
    {
        foreach (var s in _inspection) await s.DisposeAsync();
    }
}
