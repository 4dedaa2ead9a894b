using System.Diagnostics;
using Edge.Agent.Bench;
using Edge.Agent.Capture;
using Edge.Agent.Hosting;
using Edge.Agent.Metrics;
using Edge.Agent.Mqtt;
using Edge.Agent.Outbox;
using Edge.Agent.Pipelines;
using Edge.Models.Ocr;
using Edge.Models.Synthetic;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Agent.Cli;

/// <summary>
/// <c>edge bench pipeline</c>: an images source looping through OCR into the durable outbox and on to
/// a local mosquitto, as <c>edge run</c> wires it; frames/s, where each frame's time goes, and how
/// much capture and publishing add to the model time.
/// </summary>
internal static class BenchPipelineCommand
{
    public const string Usage = """
        usage: edge bench pipeline [DIR] [--frames N] [--warmup N]

        Runs images (DIR, or the rendered OCR set) → OCR → MQTT (outbox, local mosquitto) and reports
        frames/s, per-stage time per frame, model time, capture + publish overhead and CPU use.
          --frames N   frames to time (default 200)
          --warmup N   frames before timing starts (default 20)
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, "frames", "warmup");
        int frames = cl.Int("frames", 200, 10, 1_000_000);
        int warmup = cl.Int("warmup", 20, 1, 100_000);
        cl.RejectUnknown();
        if (cl.Positional.Count > 1) throw new UsageException("edge bench pipeline takes at most one folder");
        return RunAsync(cl.Positional.FirstOrDefault(), frames, warmup, stdout).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string? folder, int frames, int warmup, TextWriter stdout)
    {
        var temp = Directory.CreateTempSubdirectory("edge-bench-pipeline-").FullName;
        try
        {
            if (folder is null)
            {
                folder = Path.Combine(temp, "cards");
                Directory.CreateDirectory(folder);
                foreach (var s in OcrSampleSet.Generate())
                    using (s)
                    {
                        var (file, bytes) = SamplesCommand.Encode(s);
                        File.WriteAllBytes(Path.Combine(folder, file), bytes);
                    }
            }
            using var broker = new LocalBroker();
            var metrics = new MetricsRegistry();
            await using var outbox = Outbox.Outbox.Open(new OutboxOptions { Path = Path.Combine(temp, "outbox.db") }, NullLogger.Instance);
            await using var client = new MqttClient(new MqttOptions { Host = "127.0.0.1", Port = broker.Port, ClientId = "edge-bench-pipeline", CleanStart = true });
            await client.ConnectAsync(CancellationToken.None);
            var publisher = new OutboxPublisher(outbox, client, metrics, NullLogger.Instance);
            var publishLatencies = new List<double>();
            publisher.Acknowledged = l => { lock (publishLatencies) publishLatencies.Add(l.TotalMilliseconds); };
            using var stopPublisher = new CancellationTokenSource();
            var publishing = publisher.RunAsync(stopPublisher.Token);

            var engine = OcrEngine.Load(OcrModelSet.Default);
            engine.Warmup();
            var source = FrameSources.Create("bench", new SourceOptions { Type = SourceType.Images, Path = folder, Loop = true }, queueCapacity: 2);
            var sink = new MqttSink(outbox, new EventSequence(Path.Combine(temp, "seq")), "bench", "edge/bench/events/bench", TimeProvider.System);
            await using var pipeline = new Pipeline("bench", source, [new OcrStage(engine, metrics, "bench")], [sink], metrics, NullLogger.Instance);
            using var stop = new CancellationTokenSource();
            var running = pipeline.RunAsync(stop.Token);

            await WaitForFramesAsync(pipeline, warmup);
            var before = (pipeline.Status.Frames, pipeline.Totals, Cpu: Process.GetCurrentProcess().TotalProcessorTime, Wall: Stopwatch.GetTimestamp(), Captured: source.Health.Frames);
            lock (publishLatencies) publishLatencies.Clear();
            await WaitForFramesAsync(pipeline, warmup + frames);
            var after = (pipeline.Status.Frames, pipeline.Totals, Cpu: Process.GetCurrentProcess().TotalProcessorTime, Wall: Stopwatch.GetTimestamp(), Captured: source.Health.Frames);
            stop.Cancel();
            await running;
            // Let the publisher deliver what was committed.
            var drain = Stopwatch.StartNew();
            while (outbox.Stats.Depth > 0 && drain.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(10);
            stopPublisher.Cancel();
            try { await publishing; } catch (OperationCanceledException) { }

            long n = after.Frames - before.Frames;
            double wall = (after.Wall - before.Wall) / (double)Stopwatch.Frequency;
            double perFrame = wall / n * 1000;
            double model = (after.Totals.Model - before.Totals.Model).TotalMilliseconds / n;
            double stage = (after.Totals.Stages - before.Totals.Stages).TotalMilliseconds / n;
            double sinkMs = (after.Totals.Sinks - before.Totals.Sinks).TotalMilliseconds / n;
            double rest = perFrame - stage - sinkMs;
            double cpu = (after.Cpu - before.Cpu).TotalSeconds / wall / Environment.ProcessorCount * 100;
            double[] lat;
            lock (publishLatencies) lat = publishLatencies.Order().ToArray();

            stdout.WriteLine($"edge bench pipeline: {n} frames from {Path.GetFileName(folder.TrimEnd('/'))} (images → OCR → outbox → mosquitto), {Environment.ProcessorCount} cores");
            stdout.WriteLine($"  throughput                   {n / wall,8:0.00} frames/s   ({perFrame:0.00} ms per frame)");
            stdout.WriteLine($"  model time (ONNX Runtime)    {model,8:0.00} ms per frame");
            stdout.WriteLine($"  OCR pre/post-processing      {stage - model,8:0.00} ms per frame");
            stdout.WriteLine($"  sink: commit to the outbox   {sinkMs,8:0.00} ms per frame");
            stdout.WriteLine($"  capture wait + loop          {rest,8:0.00} ms per frame   (decoding runs on the capture thread, beside the stages)");
            stdout.WriteLine($"  capture + publish overhead   {(sinkMs + Math.Max(rest, 0)) / model * 100,8:0.0} % of model time");
            stdout.WriteLine($"  everything but the model     {(perFrame - model) / model * 100,8:0.0} % of model time");
            stdout.WriteLine($"  publish (commit → PUBACK)    p50 {Percentile(lat, 0.5):0.0} ms   p99 {Percentile(lat, 0.99):0.0} ms   ({lat.Length} events)");
            stdout.WriteLine($"  CPU                          {cpu,8:0} % of {Environment.ProcessorCount} cores;  frames dropped by the source {after.Captured - before.Captured - n}");
            return 0;
        }
        finally
        {
            try { Directory.Delete(temp, true); } catch (IOException) { }
        }
    }

    private static async Task WaitForFramesAsync(Pipeline pipeline, long count)
    {
        var limit = Stopwatch.StartNew();
        while (pipeline.Status.Frames < count)
        {
            if (pipeline.Status.State is PipelineState.Faulted or PipelineState.Ended)
                throw new InvalidOperationException($"the pipeline stopped: {pipeline.Status.Reason}");
            if (limit.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException("the pipeline made no progress for 10 minutes");
            await Task.Delay(20); // progress is a counter; poll it
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
