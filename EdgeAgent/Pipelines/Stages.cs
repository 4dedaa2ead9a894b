using Edge.Agent.Capture;
using Edge.Agent.Metrics;
using Edge.Models.Ocr;

namespace Edge.Agent.Pipelines;

/// <summary>One processing step of a pipeline: reads the frame, adds what it finds to the event.</summary>
public interface IStage : IDisposable
{
    string Type { get; }
    void Process(Frame frame, PipelineEvent evt);
    /// <summary>Time spent inside model runtimes so far (what "model time" means in the benchmarks).</summary>
    TimeSpan ModelTime { get; }
}

/// <summary>Reads text with an <see cref="OcrEngine"/> the stage owns (engines are single-threaded).</summary>
public sealed class OcrStage : IStage
{
    private readonly OcrEngine _engine;
    private readonly Histogram _det, _cls, _rec;
    private long _modelTicks;

    public OcrStage(OcrEngine engine, MetricsRegistry metrics, string pipeline)
    {
        _engine = engine;
        const string help = "Time inside ONNX Runtime per frame, by model.";
        _det = metrics.Histogram("edge_inference_seconds", help, null, ("pipeline", pipeline), ("model", "ocr-det"));
        _cls = metrics.Histogram("edge_inference_seconds", help, null, ("pipeline", pipeline), ("model", "ocr-cls"));
        _rec = metrics.Histogram("edge_inference_seconds", help, null, ("pipeline", pipeline), ("model", "ocr-rec"));
    }

    public string Type => "ocr";

    public OcrEngine Engine => _engine;

    public TimeSpan ModelTime => TimeSpan.FromTicks(Interlocked.Read(ref _modelTicks));

    public void Process(Frame frame, PipelineEvent evt)
    {
        var t = _engine.ReadInto(frame.Image, evt.OcrLines);
        evt.OcrTimings = t;
        Interlocked.Add(ref _modelTicks, TimeSpan.FromMilliseconds(t.ModelMs).Ticks);
        _det.Observe(t.DetModelMs / 1000);
        _cls.Observe(t.ClsModelMs / 1000);
        _rec.Observe(t.RecModelMs / 1000);
    }

    public void Dispose() => _engine.Dispose();
}
