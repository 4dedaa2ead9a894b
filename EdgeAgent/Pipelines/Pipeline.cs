using System.Diagnostics;
using Edge.Agent.Capture;
using Edge.Agent.Metrics;
using Edge.Models.Imaging;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Pipelines;

public enum PipelineState { Starting, Running, Paused, Ended, Faulted }

public sealed record PipelineStatus(
    string Name, PipelineState State, string? Reason, SourceHealth Source,
    long Frames, long Events, long Errors, long PausedDrops, double Fps, DateTimeOffset? LastProgressAt);

/// <summary>
/// Source → stages → sinks for one configured pipeline. The source's bounded, latest-frame queue
/// is the only buffer: a slow stage makes the source drop (and count) frames instead of queueing.
/// Stops between frames: the frame in hand is finished and committed before <see cref="RunAsync"/> returns.
/// </summary>
public sealed class Pipeline : IAsyncDisposable
{
    private readonly IFrameSource _source;
    private readonly IReadOnlyList<IStage> _stages;
    private readonly IReadOnlyList<ISink> _sinks;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Counter _frames, _events, _errors, _pausedDrops;
    private readonly Histogram[] _stageLatency, _sinkLatency;
    private readonly Histogram _frameLatency;
    private readonly ImageBuffer _last = new();
    private readonly object _lastGate = new();
    private bool _hasLast;
    private volatile bool _paused;
    private PipelineState _state = PipelineState.Starting;
    private string? _reason;
    private long _lastProgressTicks;
    private double _fps;
    private long _previousFrameTimestamp;
    private long _stageTicks, _sinkTicks;

    public Pipeline(string name, IFrameSource source, IReadOnlyList<IStage> stages, IReadOnlyList<ISink> sinks,
        MetricsRegistry metrics, ILogger logger, TimeProvider? time = null)
    {
        Name = name;
        _source = source;
        _stages = stages;
        _sinks = sinks;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        var p = ("pipeline", name);
        _frames = metrics.Counter("edge_frames_processed_total", "Frames that went through a pipeline's stages.", p);
        _events = metrics.Counter("edge_events_total", "Events handed to a pipeline's sinks.", p);
        _errors = metrics.Counter("edge_pipeline_errors_total", "Frames whose processing failed.", p);
        _pausedDrops = metrics.Counter("edge_frames_dropped_paused_total", "Frames dropped while a pipeline was paused.", p);
        metrics.GaugeFunc("edge_frames_captured_total", "Frames delivered by a pipeline's source.", () => _source.Health.Frames, p);
        metrics.GaugeFunc("edge_frames_dropped_total", "Frames the source dropped because the pipeline was busy (latest-frame policy).", () => _source.Health.Dropped, p);
        metrics.GaugeFunc("edge_pipeline_fps", "Frames per second through a pipeline.", () => Volatile.Read(ref _fps), p);
        _stageLatency = stages.Select(s => metrics.Histogram("edge_stage_seconds", "Stage latency per frame.", null, p, ("stage", s.Type))).ToArray();
        _sinkLatency = sinks.Select((s, i) => metrics.Histogram("edge_sink_seconds", "Sink latency per event.", null, p, ("sink", $"{s.Type}{i}"))).ToArray();
        _frameLatency = metrics.Histogram("edge_frame_seconds", "From capture to the last sink, per frame.", null, p);
    }

    public string Name { get; }

    public bool Paused
    {
        get => _paused;
        set { _paused = value; _logger.LogInformation("Pipeline {Pipeline} {State}", Name, value ? "paused" : "resumed"); }
    }

    /// <summary>When the pipeline last finished a frame (or started): what the watchdog watches.</summary>
    public DateTimeOffset LastProgressAt => new(Interlocked.Read(ref _lastProgressTicks), TimeSpan.Zero);

    public PipelineStatus Status => new(Name, _paused && _state == PipelineState.Running ? PipelineState.Paused : _state, _reason,
        _source.Health, _frames.Value, _events.Value, _errors.Value, _pausedDrops.Value, Volatile.Read(ref _fps),
        _lastProgressTicks == 0 ? null : LastProgressAt);

    public IFrameSource Source => _source;

    /// <summary>Cumulative time in stages, in sinks, and inside model runtimes (for benchmarks).</summary>
    public (TimeSpan Stages, TimeSpan Sinks, TimeSpan Model) Totals =>
        (TimeSpan.FromTicks(Interlocked.Read(ref _stageTicks)), TimeSpan.FromTicks(Interlocked.Read(ref _sinkTicks)),
         _stages.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.ModelTime));

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        Progress();
        try
        {
            await _source.StartAsync(stoppingToken);
            _state = PipelineState.Running;
            var reader = _source.Frames;
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                while (reader.TryRead(out var frame))
                {
                    using (frame)
                    {
                        if (_paused) { _pausedDrops.Inc(); Progress(); continue; }
                        // The frame in hand is finished even when stopping: its result is committed, not lost.
                        await ProcessAsync(frame, CancellationToken.None);
                    }
                    if (stoppingToken.IsCancellationRequested) return;
                }
            }
            _state = PipelineState.Ended;
            _reason = _source.Health.Reason ?? "source ended";
            _logger.LogInformation("Pipeline {Pipeline} ended: {Reason}", Name, _reason);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _state = PipelineState.Faulted;
            _reason = e.Message;
            _logger.LogError(e, "Pipeline {Pipeline} failed", Name);
            throw;
        }
        finally
        {
            foreach (var sink in _sinks)
            {
                try { await sink.FlushAsync(); }
                catch (Exception e) { _errors.Inc(); _logger.LogError(e, "Pipeline {Pipeline}: the last result could not be written", Name); }
            }
        }
    }

    private async ValueTask ProcessAsync(Frame frame, CancellationToken ct)
    {
        var evt = new PipelineEvent { Pipeline = Name, Frame = frame.Sequence, SourceName = frame.SourceName, CapturedAt = frame.CapturedAt };
        try
        {
            for (int i = 0; i < _stages.Count; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                _stages[i].Process(frame, evt);
                var took = Stopwatch.GetElapsedTime(t0);
                _stageLatency[i].Observe(took.TotalSeconds);
                Interlocked.Add(ref _stageTicks, took.Ticks);
            }
            KeepLast(frame.Image);
            for (int i = 0; i < _sinks.Count; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                await _sinks[i].WriteAsync(evt, frame, ct);
                var took = Stopwatch.GetElapsedTime(t0);
                _sinkLatency[i].Observe(took.TotalSeconds);
                Interlocked.Add(ref _sinkTicks, took.Ticks);
            }
            _events.Inc();
            _reason = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _errors.Inc();
            _reason = $"frame {frame.Sequence}: {e.Message}";
            _logger.LogError(e, "Pipeline {Pipeline} could not process frame {Frame}", Name, frame.Sequence);
        }
        _frames.Inc();
        _frameLatency.Observe((_time.GetUtcNow() - frame.CapturedAt).TotalSeconds);
        UpdateFps();
        Progress();
    }

    private void UpdateFps()
    {
        long now = Stopwatch.GetTimestamp();
        long prev = _previousFrameTimestamp;
        _previousFrameTimestamp = now;
        if (prev == 0) return;
        double instant = Stopwatch.Frequency / (double)Math.Max(now - prev, 1);
        double fps = Volatile.Read(ref _fps);
        Volatile.Write(ref _fps, fps == 0 ? instant : fps * 0.9 + instant * 0.1);
    }

    private void Progress() => Interlocked.Exchange(ref _lastProgressTicks, _time.GetUtcNow().UtcTicks);

    private void KeepLast(ImageBuffer image)
    {
        lock (_lastGate)
        {
            _last.Reset(image.Width, image.Height, image.Format);
            for (int y = 0; y < image.Height; y++) image.Row(y).CopyTo(_last.Row(y));
            _hasLast = true;
        }
    }

    /// <summary>The last processed frame as JPEG, or null before the first frame.</summary>
    public byte[]? LastFrameJpeg(int quality = 85)
    {
        lock (_lastGate) return _hasLast ? JpegCodec.Encode(_last, quality) : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _source.DisposeAsync();
        foreach (var sink in _sinks) await sink.DisposeAsync();
        foreach (var stage in _stages) stage.Dispose();
        lock (_lastGate) _last.Dispose();
    }
}
