using System.Text.Json;
using Edge.Models.Detection;
using Edge.Models.Imaging;
using Edge.Models.Onnx;

namespace Edge.Agent.Cli;

/// <summary><c>edge detect --model PATH|NAME IMAGE|DIR... [--json]</c>: find objects in images.</summary>
internal static class DetectCommand
{
    public const string Usage = """
        usage: edge detect --model PATH|NAME IMAGE|DIR... [--json] [options]

        Finds objects in JPEG/PNG images with a YOLOv5, YOLOv8/YOLO11 or PaddleDetection ONNX model (the
        layout is read from the model); a folder means every JPEG/PNG in it, sorted.
          --model PATH|NAME     an .onnx file, or the name of a model shipped in the repository
                                (NAME → models/NAME/NAME.onnx, e.g. defect)
          --json                one JSON object per image on its own line
          --labels FILE         class names, one per line (default: the model's 'names' metadata, else class_N)
          --verifier PATH|none  a second look at uncertain boxes (a verifier .onnx, docs/inspection.md): each box of its
                                class scoring at least its band's "from" gets "verified" (its probability); none = off
                                (default: NAME-verifier.onnx beside the model, when there is one)
          --conf C              score threshold, 0..1 (default 0.25)
          --iou T               NMS IoU threshold, 0..1 (default 0.45)
          --agnostic            suppress overlapping boxes across classes too
          --max-det N           most objects per image (default 300)
          --imgsz N             longer input side for models with dynamic input size (default 640)
          --ort-library PATH    libonnxruntime.so.1 to use (else EDGE_ORT_LIBRARY, the app folder, the set-up cache)
          --threads N           ONNX Runtime intra-op threads (default: one per core)
          --providers LIST      execution providers in preference order, e.g. tensorrt,cuda,cpu (default cpu)
        """;

    private static readonly string[] Valued = ["model", "labels", "conf", "iou", "max-det", "imgsz", "ort-library", "threads", "providers", "verifier"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, Valued);
        bool json = cl.Flag("json");
        var model = cl.Value("model") ?? throw new UsageException("edge detect needs --model PATH|NAME");
        if (cl.Positional.Count == 0) throw new UsageException("edge detect needs at least one image or folder");
        var ortLibrary = cl.Value("ort-library");
        var labelsFile = cl.Value("labels");
        var verifier = cl.Value("verifier");
        var options = new DetectionOptions
        {
            Confidence = cl.Float("conf", DetectionOptions.Default.Confidence, 0f, 0.999f),
            Iou = cl.Float("iou", DetectionOptions.Default.Iou, 0.001f, 1f),
            ClassAgnostic = cl.Flag("agnostic"),
            MaxDetections = cl.Int("max-det", DetectionOptions.Default.MaxDetections, 1, 100_000),
            InputSize = cl.Int("imgsz", DetectionOptions.Default.InputSize, 32, 8192),
            Session = OnnxSessionConfig.Default with { IntraOpThreads = cl.Int("threads", 0, 0, 256), Providers = ParseProviders(cl.Value("providers")) },
        };
        cl.RejectUnknown();

        if (labelsFile is not null) options = options with { Labels = DetectionLabels.Load(labelsFile).Names };
        if (ortLibrary is not null) OnnxRuntime.Initialize(ortLibrary);
        var modelPath = ResolveModel(model, SearchRoots());
        var images = OcrSetup.ExpandImages(cl.Positional);
        var logger = new StderrLogger(stderr);
        using var detector = ObjectDetector.Load(modelPath, options, logger);
        if (DetectionModels.LoadVerifier(modelPath, detector.Labels.Names, verifier, "--verifier", options.Session, logger) is { } second)
        {
            DetectionModels.Attach(detector, second, verifier, "--verifier");
            // On stderr, so --json's stdout stays one object per image.
            stderr.WriteLine($"edge detect: {DetectionModels.DescribeVerifier(detector)}"
                             + (second.From < options.Confidence ? $" (boxes at or below --conf {options.Confidence} are not looked at)" : ""));
        }
        detector.Warmup(); // so the first image's stage times are not JIT time

        return ImageBatch.Run("detect", images, json, stdout, stderr, path => detector.Detect(path), ToJson, WriteTable);
    }

    /// <summary>
    /// A path (it names an existing file, holds a directory separator or ends in .onnx) is used as given;
    /// a bare name is looked up as <c>models/NAME/NAME.onnx</c> under each root in turn.
    /// </summary>
    /// <exception cref="FileNotFoundException">a name found under no root; the message lists where it looked.</exception>
    internal static string ResolveModel(string nameOrPath, IEnumerable<string> roots)
    {
        if (File.Exists(nameOrPath) || nameOrPath.Contains(Path.DirectorySeparatorChar)
            || nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            return nameOrPath;
        var tried = new List<string>();
        foreach (var root in roots)
        {
            var candidate = Path.Combine(root, "models", nameOrPath, nameOrPath + ".onnx");
            if (File.Exists(candidate)) return candidate;
            tried.Add(candidate);
        }
        throw new FileNotFoundException(
            $"model '{nameOrPath}' not found; looked for {string.Join(", ", tried)}. Pass --model PATH to an .onnx file, or run from the repository.",
            nameOrPath);
    }

    /// <summary>The current folder and its parents, then the folders above the application (bin/… inside a checkout).</summary>
    internal static IEnumerable<string> SearchRoots()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (seen.Add(dir.FullName)) yield return dir.FullName;
    }

    private static List<ExecutionProvider> ParseProviders(string? list)
    {
        var providers = new List<ExecutionProvider>();
        foreach (var p in (list ?? "cpu").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            providers.Add(p.ToLowerInvariant() switch
            {
                "cpu" => ExecutionProvider.Cpu,
                "cuda" => ExecutionProvider.Cuda,
                "tensorrt" or "trt" => ExecutionProvider.TensorRT,
                _ => throw new UsageException($"--providers: unknown provider '{p}' (allowed: tensorrt, cuda, cpu)"),
            });
        }
        return providers;
    }

    public static string ToJson(string path, DetectionResult result)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, OcrCommand.JsonOptions))
            DetectionJson.WriteResult(w, path, result, includeDecode: true);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteTable(TextWriter o, string path, DetectionResult result)
    {
        var t = result.Timings;
        o.WriteLine($"{path}  ({result.Detections.Count} objects; decode {t.DecodeMs:0.0} ms, pre {t.PreprocessMs:0.0}, model {t.ModelMs:0.0}, post {t.PostprocessMs:0.0}"
                    + (t.Verified > 0 ? $", verify {t.VerifyMs:0.0} ({t.Verified} boxes)" : "") + $", total {t.TotalMs:0.0} ms)");
        foreach (var d in result.Detections)
            o.WriteLine($"  {d.Score:0.00}  {d.Label}    @({d.X1:0},{d.Y1:0})-({d.X2:0},{d.Y2:0})" + (d.IsVerified ? $"  verified {d.Verified:0.00}" : ""));
    }
}
