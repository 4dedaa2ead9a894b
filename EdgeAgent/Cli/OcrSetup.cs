using Edge.Models.Ocr;
using Edge.Models.Onnx;

namespace Edge.Agent.Cli;

/// <summary>The options every OCR-running command shares, and how they become an engine.</summary>
internal static class OcrSetup
{
    public const string Help = """
          --models DIR          PP-OCR model folder (default: the set-up cache)
          --ort-library PATH    libonnxruntime.so.1 to use (else EDGE_ORT_LIBRARY, the app folder, the set-up cache)
          --threads N           ONNX Runtime intra-op threads (default: one per core)
          --spin                let ORT worker threads spin between runs (lower latency, burns CPU)
          --no-arena            no ORT memory arena: smaller RSS when image sizes vary, a little slower
          --providers LIST      execution providers in preference order, e.g. tensorrt,cuda,cpu (default cpu)
          --no-cls              skip the 0°/180° direction classifier
          --vertical MODE       tall columns: rotate (default) or cells
          --rec-min-width N     narrowest recogniser input in pixels (default 320)
          --det-limit N         longest detector side (default 960)
          --unclip R            how far detected boxes are grown around the text (default 2.0)
        """;

    public static readonly string[] Valued = ["models", "threads", "providers", "vertical", "rec-min-width", "det-limit", "unclip", "ort-library"];

    public static OcrEngine CreateEngine(CommandLine cl, TextWriter stderr)
    {
        var ortLibrary = cl.Value("ort-library");
        if (ortLibrary is not null) OnnxRuntime.Initialize(ortLibrary);
        var dir = cl.Value("models");
        var models = dir is null ? OcrModelSet.Default : OcrModelSet.FromDirectory(dir);
        var options = ParseOptions(cl);
        cl.RejectUnknown();
        return OcrEngine.Load(models, options, new StderrLogger(stderr));
    }

    public static OcrOptions ParseOptions(CommandLine cl)
    {
        var providers = new List<ExecutionProvider>();
        foreach (var p in (cl.Value("providers") ?? "cpu").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            providers.Add(p.ToLowerInvariant() switch
            {
                "cpu" => ExecutionProvider.Cpu,
                "cuda" => ExecutionProvider.Cuda,
                "tensorrt" or "trt" => ExecutionProvider.TensorRT,
                _ => throw new UsageException($"--providers: unknown provider '{p}' (allowed: tensorrt, cuda, cpu)"),
            });
        }
        var vertical = (cl.Value("vertical") ?? "rotate").ToLowerInvariant() switch
        {
            "rotate" => VerticalTextMode.Rotate,
            "cells" => VerticalTextMode.Cells,
            var v => throw new UsageException($"--vertical: unknown mode '{v}' (allowed: rotate, cells)"),
        };
        return new OcrOptions
        {
            DetLimitSide = cl.Int("det-limit", OcrOptions.Default.DetLimitSide, 32, 8192),
            DetUnclipRatio = cl.Float("unclip", OcrOptions.Default.DetUnclipRatio, 0f, 10f),
            RecMinWidth = cl.Int("rec-min-width", OcrOptions.Default.RecMinWidth, 8, 4096),
            UseDirectionClassifier = !cl.Flag("no-cls"),
            VerticalMode = vertical,
            Session = OnnxSessionConfig.Default with
            {
                IntraOpThreads = cl.Int("threads", 0, 0, 256),
                AllowSpinning = cl.Flag("spin"),
                MemoryArena = !cl.Flag("no-arena"),
                Providers = providers,
            },
        };
    }

    /// <summary>Expands folders to their JPEG/PNG files (sorted); keeps files as given; a missing path is kept so the caller reports it.</summary>
    public static List<string> ExpandImages(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var found = Directory.EnumerateFiles(input)
                    .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png")
                    .Order(StringComparer.Ordinal);
                files.AddRange(found);
            }
            else
            {
                files.Add(input);
            }
        }
        return files;
    }
}
