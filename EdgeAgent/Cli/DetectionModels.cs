using System.Globalization;
using Edge.Agent.Inspection;
using Edge.Models.Detection;
using Edge.Models.Onnx;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Cli;

/// <summary>Finds a shipped detection model (FP32 or INT8) and its held-out set, for <c>edge inspect</c> and <c>edge bench detect</c>.</summary>
internal static class DetectionModels
{
    /// <summary><paramref name="nameOrPath"/> as <see cref="DetectCommand.ResolveModel"/> finds it; for a name and <paramref name="int8"/>, models/NAME/NAME-int8.onnx.</summary>
    public static string Resolve(string nameOrPath, bool int8)
    {
        bool isName = !File.Exists(nameOrPath) && !nameOrPath.Contains(Path.DirectorySeparatorChar)
                      && !nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        if (!int8) return DetectCommand.ResolveModel(nameOrPath, DetectCommand.SearchRoots());
        if (!isName) throw new UsageException("--int8 applies to a model name (NAME → models/NAME/NAME-int8.onnx); give the INT8 file's path to --model instead");
        var path = DetectCommand.ResolveModel(nameOrPath, DetectCommand.SearchRoots());
        var int8Path = Path.Combine(Path.GetDirectoryName(path)!, nameOrPath + "-int8.onnx");
        if (!File.Exists(int8Path)) throw new FileNotFoundException($"model '{nameOrPath}' has no INT8 file: {int8Path} not found", int8Path);
        return int8Path;
    }

    /// <summary>The held-out set: <paramref name="given"/>, else the <c>heldout</c> folder beside the model.</summary>
    public static LabelledImageSet Heldout(string? given, string modelPath, IReadOnlyList<string> labels)
    {
        var folder = given ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, "heldout");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no held-out set (pass --heldout DIR with images and labels.json)");
        var set = LabelledImageSet.Load(folder, labels.Count > 0 ? labels : null);
        if (set.Images.Count == 0) throw new InvalidDataException($"{folder}/labels.json lists no images");
        return set;
    }

    /// <summary>
    /// Loads a detector for an inspection line: the model's recommended per-class scores (its <c>min_score</c> metadata)
    /// fill in what <paramref name="configured"/> leaves open (<see cref="InspectionOptions.WithModelMinScores"/>), and the
    /// detector keeps every candidate at or above the lowest score any class needs. Returns the detector and those options.
    /// </summary>
    public static (ObjectDetector Detector, InspectionOptions Options) LoadForRules(string path, InspectionOptions configured, int threads, ILogger? logger)
    {
        var session = OnnxSessionConfig.Default with { IntraOpThreads = threads };
        var model = OnnxModel.Load(path, session, logger);
        try
        {
            var options = configured.WithModelMinScores(ObjectDetector.ReadRecommendedMinScores(model));
            var detector = new ObjectDetector(model, new DetectionOptions
            {
                Confidence = Math.Min(DetectionOptions.Default.Confidence, options.LowestMinScore),
                Session = session,
            });
            return (detector, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The lowest score each class needs under <paramref name="options"/>, e.g. <c>scratch 0.2, dent 0.25</c>.</summary>
    public static string DescribeScores(InspectionOptions options, IReadOnlyList<string> labels) =>
        string.Join(", ", labels.Select(c => string.Create(CultureInfo.InvariantCulture,
            $"{c} {(options.MinScoreByClass is { } b && b.TryGetValue(c, out var v) ? v : options.MinScore ?? InspectionOptions.DefaultMinScore):0.###}")));
}
