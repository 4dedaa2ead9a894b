using System.Diagnostics;
using Edge.Models.Detection;
using Edge.Models.Imaging;
using Edge.Models.Onnx;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Agent.Cli;

/// <summary>
/// <c>edge bench detect</c>: FP32 and INT8 on the held-out set — latency per frame (median, p99), FPS, time inside ONNX
/// Runtime against the pipeline around it, managed bytes allocated per frame after warm-up, and mAP@0.5 of each; with the
/// second look (the verifier beside the model), its time per frame and the boxes it looked at.
/// </summary>
internal static class BenchDetectCommand
{
    public const string Usage = """
        usage: edge bench detect [--model NAME] [--iterations N] [--heldout DIR] [--threads N] [--verifier PATH|none]

        Times the detector (letterbox + ONNX Runtime + decode + NMS) on the held-out images, decoded into memory first,
        for the FP32 model (models/NAME/NAME.onnx) and its INT8 twin (NAME-int8.onnx) when there is one, and scores
        each: mAP@0.5, VOC all-point, confidence 0.001, NMS IoU 0.45.
          --model NAME          model name (default defect)
          --iterations N        timed passes over the images after one warm-up pass (default 5)
          --heldout DIR         images + labels.json (default: heldout/ beside the model)
          --threads N           ONNX Runtime intra-op threads (default: one per core)
          --verifier PATH|none  the second look timed with each model (default: NAME-verifier.onnx beside the model, when
                                there is one; the same FP32 verifier for both); its time is in the pipeline's figures
        """;

    private static readonly string[] Valued = ["model", "iterations", "heldout", "threads", "verifier"];

    /// <summary>One model's figures; the Verify* ones are the second look's (zero without a verifier).</summary>
    private sealed record Figures(string Name, int Frames, double MedianMs, double P99Ms, double Fps, double ModelMedianMs, double PreMedianMs, double PostMedianMs,
        double OverheadOfModel, double BytesPerFrame, double Map, double[] PerClass,
        double VerifyMedianMs = 0, double VerifyP99Ms = 0, double VerifiedPerFrame = 0, double VerifyMsPerBox = 0, int FramesVerified = 0);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, Valued);
        var name = cl.Value("model") ?? "defect";
        int iterations = cl.Int("iterations", 5, 1, 1000);
        var heldoutDir = cl.Value("heldout");
        int threads = cl.Int("threads", 0, 0, 256);
        var verifierSetting = cl.Value("verifier");
        cl.RejectUnknown();

        var fp32Path = DetectionModels.Resolve(name, int8: false);
        string? int8Path = null;
        try { int8Path = DetectionModels.Resolve(name, int8: true); }
        catch (Exception e) when (e is FileNotFoundException or UsageException) { stderr.WriteLine($"edge bench detect: no INT8 model ({e.Message}); FP32 only"); }

        var session = OnnxSessionConfig.Default with { IntraOpThreads = threads };
        var results = new List<Figures>();
        LabelledImageSet? set = null;
        List<ImageBuffer>? frames = null;
        string? verifierLine = null;
        try
        {
            foreach (var (label, path) in new[] { ("FP32", fp32Path), ("INT8", int8Path) })
            {
                if (path is null) continue;
                var logger = new StderrLogger(stderr);
                using var detector = ObjectDetector.Load(path, new DetectionOptions { Session = session }, logger);
                // The FP32 file's verifier serves the INT8 twin too (PathBeside maps both to NAME-verifier.onnx).
                if (DetectionModels.LoadVerifier(fp32Path, detector.Labels.Names, verifierSetting, "--verifier", session, logger) is { } verifier)
                {
                    DetectionModels.Attach(detector, verifier, verifierSetting, "--verifier");
                    verifierLine ??= DetectionModels.DescribeVerifier(detector);
                }
                if (set is null)
                {
                    set = DetectionModels.Heldout(heldoutDir, fp32Path, detector.Labels.Names);
                    frames = [.. set.Images.Select(i => ImageCodec.Load(set.PathOf(i), PixelFormat.Rgb24))];
                }
                stderr.WriteLine($"edge bench detect: timing {label} ({Path.GetFileName(path)}) on {set.Images.Count} images × {iterations}, then its mAP");
                results.Add(Measure(label, path, detector, set, frames!, iterations, session));
            }
        }
        finally
        {
            if (frames is not null) foreach (var f in frames) f.Dispose();
        }

        stdout.WriteLine($"edge bench detect: {set!.Images.Count} held-out images x {iterations} iterations, ONNX Runtime {OnnxRuntime.Version}, "
                         + $"{Environment.ProcessorCount} cores, threads {(threads == 0 ? "default" : threads.ToString())}");
        stdout.WriteLine($"  {"model",-6}{"median ms",11}{"p99 ms",9}{"FPS",8}{"ORT ms",9}{"pre ms",8}{"post ms",9}{"overhead",10}{"bytes/frame",13}{"mAP@0.5",9}");
        foreach (var f in results)
            stdout.WriteLine($"  {f.Name,-6}{f.MedianMs,11:0.00}{f.P99Ms,9:0.00}{f.Fps,8:0.0}{f.ModelMedianMs,9:0.00}{f.PreMedianMs,8:0.00}{f.PostMedianMs,9:0.00}{f.OverheadOfModel,10:P1}{f.BytesPerFrame,13:0}{f.Map * 100,9:0.00}");
        var labels = set.Classes;
        foreach (var f in results)
            stdout.WriteLine($"  {f.Name} AP@0.5 by class: {string.Join(", ", f.PerClass.Select((ap, i) => $"{(i < labels.Count ? labels[i] : $"class_{i}")} {(double.IsNaN(ap) ? "-" : (ap * 100).ToString("0.0"))}"))}");
        stdout.WriteLine("  overhead = (pipeline − ORT Run) ÷ ORT Run, sums over all timed frames; bytes/frame = managed bytes allocated per DetectInto after warm-up");
        if (verifierLine is not null)
        {
            stdout.WriteLine($"  {verifierLine} (the same FP32 file for both models)");
            stdout.WriteLine("  with it: median, p99 and FPS above include its time (crops + its ORT Runs); ORT ms and overhead are the detector's alone, "
                             + "overhead = (pipeline − second look − ORT Run) ÷ ORT Run; mAP@0.5 is the detector's (the second look changes no score)");
            foreach (var f in results)
                stdout.WriteLine($"  {f.Name} second look per frame: median {f.VerifyMedianMs:0.00} ms, p99 {f.VerifyP99Ms:0.00} ms; boxes looked at per frame: mean {f.VerifiedPerFrame:0.00} "
                                 + $"({f.FramesVerified} of {f.Frames} frames had one; {f.VerifyMsPerBox:0.00} ms per box)");
        }
        bool ok = results.All(f => f.OverheadOfModel <= 0.05 && f.BytesPerFrame == 0);
        if (results.Count == 2)
        {
            var (a, b) = (results[0], results[1]);
            double speedup = a.MedianMs / b.MedianMs, dMap = (b.Map - a.Map) * 100;
            bool int8Ok = dMap >= -1 && speedup > 1;
            ok &= int8Ok;
            stdout.WriteLine($"  INT8 vs FP32: {speedup:0.00}x speed-up (median), mAP@0.5 {dMap:+0.00;-0.00} points → goal (within 1 point, faster): {(int8Ok ? "met" : "NOT met")}");
        }
        stdout.WriteLine($"  goals: overhead ≤ 5 % of ORT time and 0 bytes per frame: {(results.All(f => f.OverheadOfModel <= 0.05 && f.BytesPerFrame == 0) ? "met" : "NOT met")}");
        return ok ? 0 : 1;
    }

    private static Figures Measure(string label, string path, ObjectDetector detector, LabelledImageSet set, List<ImageBuffer> frames, int iterations, OnnxSessionConfig session)
    {
        var detections = new List<Det>(512);
        foreach (var f in frames) { detections.Clear(); detector.DetectInto(f, detections); } // warm-up: sizes every buffer, JIT
        var total = new double[frames.Count * iterations];
        var model = new double[frames.Count * iterations];
        var pre = new double[frames.Count * iterations];
        var post = new double[frames.Count * iterations];
        var verify = new double[frames.Count * iterations];
        long allocated = 0, boxes = 0;
        int framesVerified = 0;
        int k = 0;
        long wall0 = Stopwatch.GetTimestamp();
        for (int it = 0; it < iterations; it++)
            foreach (var f in frames)
            {
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                detections.Clear();
                var t = detector.DetectInto(f, detections);
                allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                total[k] = t.TotalMs;
                pre[k] = t.PreprocessMs;
                post[k] = t.PostprocessMs;
                verify[k] = t.VerifyMs;
                boxes += t.Verified;
                if (t.Verified > 0) framesVerified++;
                model[k++] = t.ModelMs;
            }
        double wallMs = Stopwatch.GetElapsedTime(wall0).TotalMilliseconds;

        // Accuracy with the evaluation settings, on a detector of its own so the timed one keeps the deployed threshold.
        var map = new MeanAveragePrecision(Math.Max(1, detector.Labels.Count));
        using (var scorer = ObjectDetector.Load(path, new DetectionOptions { Confidence = 0.001f, Iou = 0.45f, MaxDetections = 300, Session = session }))
            for (int i = 0; i < frames.Count; i++)
            {
                detections.Clear();
                scorer.DetectInto(frames[i], detections);
                map.Add(detections, set.Images[i].Boxes);
            }
        var (mAp, perClass) = map.Compute();
        // The second look is timed apart and left out of the overhead: it is another model's run, not the pipeline around the detector's.
        double sumTotal = total.Sum(), sumModel = model.Sum(), sumVerify = verify.Sum();
        return new Figures(label, k, InspectCommand.Percentile(total, 0.5), InspectCommand.Percentile(total, 0.99), k / (wallMs / 1000),
            InspectCommand.Percentile(model, 0.5), InspectCommand.Percentile(pre, 0.5), InspectCommand.Percentile(post, 0.5), (sumTotal - sumVerify - sumModel) / sumModel,
            (double)allocated / k, mAp, perClass, InspectCommand.Percentile(verify, 0.5), InspectCommand.Percentile(verify, 0.99), (double)boxes / k,
            boxes == 0 ? 0 : sumVerify / boxes, framesVerified);
    }
}
