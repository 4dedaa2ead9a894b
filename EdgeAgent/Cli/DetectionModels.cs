using Edge.Models.Detection;

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
}
