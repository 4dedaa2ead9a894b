using System.Globalization;
using Edge.Agent.Config;
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

    /// <summary>The value of <c>--verifier</c> (and of a line's <c>verifier</c>) that turns the second look off.</summary>
    public const string NoVerifier = InspectionLineConfig.NoVerifier;

    /// <summary>
    /// The verifier file a detector at <paramref name="modelPath"/> gets: for <paramref name="setting"/> null the file beside
    /// the model (<see cref="DetectionVerifier.PathBeside"/>) when there is one, for <c>none</c> none, else the path given.
    /// </summary>
    /// <param name="key">The config key or flag <paramref name="setting"/> came from, for messages.</param>
    /// <exception cref="FileNotFoundException">a path given that does not exist; the message names <paramref name="key"/> and the file.</exception>
    public static string? ResolveVerifier(string modelPath, string? setting, string key)
    {
        if (setting is null)
        {
            var beside = DetectionVerifier.PathBeside(Path.GetFullPath(modelPath));
            return File.Exists(beside) ? beside : null;
        }
        if (setting == NoVerifier) return null;
        var full = Path.GetFullPath(setting);
        if (!File.Exists(full)) throw new FileNotFoundException($"{key}: verifier {full} not found (give a verifier .onnx file, or \"{NoVerifier}\" for no second look)", full);
        return full;
    }

    /// <summary>
    /// Loads the verifier <paramref name="setting"/> asks for (<see cref="ResolveVerifier"/>) against a detector's
    /// <paramref name="labels"/>, or returns null when there is none. Errors name <paramref name="key"/> and the file.
    /// </summary>
    /// <exception cref="FileNotFoundException">a verifier path given that does not exist.</exception>
    /// <exception cref="InvalidDataException">the file is not a verifier (not ONNX, wrong shape or metadata, a class the detector does not know).</exception>
    public static DetectionVerifier? LoadVerifier(string modelPath, IReadOnlyList<string> labels, string? setting, string key, OnnxSessionConfig session, ILogger? logger)
    {
        var path = ResolveVerifier(modelPath, setting, key);
        if (path is null) return null;
        try
        {
            return DetectionVerifier.Load(path, labels, session, logger);
        }
        catch (Exception e) when (e is InvalidDataException or OnnxRuntimeException)
        {
            throw new InvalidDataException(VerifierError(key, setting, path, e), e);
        }
    }

    /// <summary>Attaches <paramref name="verifier"/> to <paramref name="detector"/> (which then owns it); on an error disposes it and names <paramref name="key"/>.</summary>
    public static void Attach(ObjectDetector detector, DetectionVerifier verifier, string? setting, string key)
    {
        try
        {
            detector.AttachVerifier(verifier);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException)
        {
            var path = verifier.ModelPath;
            verifier.Dispose();
            throw new InvalidDataException(VerifierError(key, setting, path, e), e);
        }
    }

    private static string VerifierError(string key, string? setting, string path, Exception e) => setting is null
        ? $"{key}: the verifier beside the model, {path}, cannot be used (set {key} to \"{NoVerifier}\" to run without a second look): {e.Message}"
        : $"{key}: {path} is not a verifier this detector can use: {e.Message}";

    /// <summary>
    /// Loads a detector for an inspection line: the model's recommended per-class scores (its <c>min_score</c> metadata) fill in
    /// what <paramref name="configured"/> leaves open (<see cref="InspectionOptions.WithModelMinScores"/>); the verifier
    /// <paramref name="verifier"/> asks for (<see cref="ResolveVerifier"/>: by default the one beside the model, when there is
    /// one) is attached and its rule set as <see cref="InspectionOptions.Verifier"/>; and the detector keeps every candidate at
    /// or above the lowest score any class needs, the verifier's <c>band.from</c> included. Returns the detector and those options.
    /// </summary>
    /// <param name="verifierKey">The config key or flag <paramref name="verifier"/> came from, for messages.</param>
    /// <param name="band">The line's own band for the verifier, replacing the file's (<see cref="DetectionVerifier.SetBand"/>); null = the file's.</param>
    /// <param name="bandKey">The config key or flag <paramref name="band"/> came from, for messages.</param>
    /// <exception cref="ArgumentException"><paramref name="band"/> given without a verifier, or out of range; the message names <paramref name="bandKey"/>.</exception>
    public static (ObjectDetector Detector, InspectionOptions Options) LoadForRules(string path, InspectionOptions configured, int threads, ILogger? logger,
        string? verifier = null, string verifierKey = "--verifier", VerifierBand? band = null, string bandKey = "--verifier-band")
    {
        var session = OnnxSessionConfig.Default with { IntraOpThreads = threads };
        var model = OnnxModel.Load(path, session, logger);
        DetectionVerifier? second = null;
        ObjectDetector? detector = null;
        try
        {
            var options = configured.WithModelMinScores(ObjectDetector.ReadRecommendedMinScores(model));
            second = LoadVerifier(path, ObjectDetector.ReadLabels(model).Names, verifier, verifierKey, session, logger);
            ApplyBand(second, band, bandKey, verifierKey);
            options = options with { Verifier = second is null ? null : VerifierRule.Of(second) };
            detector = new ObjectDetector(model, new DetectionOptions
            {
                Confidence = Math.Min(DetectionOptions.Default.Confidence, options.LowestMinScore),
                Session = session,
            });
            if (second is not null)
            {
                var attaching = second;
                second = null; // Attach disposes it on failure
                Attach(detector, attaching, verifier, verifierKey);
            }
            return (detector, options);
        }
        catch
        {
            second?.Dispose();
            if (detector is not null) detector.Dispose();
            else model.Dispose();
            throw;
        }
    }

    /// <summary>Sets a line's own band on <paramref name="verifier"/>; a band with no verifier to apply it to is an error naming both keys.</summary>
    /// <exception cref="ArgumentException">see <see cref="LoadForRules"/>.</exception>
    public static void ApplyBand(DetectionVerifier? verifier, VerifierBand? band, string bandKey, string verifierKey)
    {
        if (band is not { } b) return;
        if (verifier is null)
            throw new ArgumentException($"{bandKey} = {b}: there is no verifier to apply it to ({verifierKey} is \"{NoVerifier}\", or the model has none beside it)");
        verifier.SetBand(b, bandKey);
    }

    /// <summary>
    /// "second look: defect-verifier.onnx on scratch scoring ≥ 0.5, counts when verified ≥ 0.5", with a band that vetoes
    /// "… on scratch scoring 0.45 to 0.85, counts only when verified ≥ 0.22", or "second look: none".
    /// </summary>
    public static string DescribeVerifier(ObjectDetector detector) => detector.Verifier is { } v
        ? v.Vetoes
            ? string.Create(CultureInfo.InvariantCulture, $"second look: {Path.GetFileName(v.ModelPath)} on {v.ClassName} scoring {v.From:0.###} to {v.To:0.###}, counts only when verified ≥ {v.Min:0.###}")
            : string.Create(CultureInfo.InvariantCulture, $"second look: {Path.GetFileName(v.ModelPath)} on {v.ClassName} scoring ≥ {v.From:0.###}, counts when verified ≥ {v.Min:0.###}")
        : "second look: none";

    /// <summary>The lowest score each class needs under <paramref name="options"/>, e.g. <c>scratch 0.2, dent 0.25</c>.</summary>
    public static string DescribeScores(InspectionOptions options, IReadOnlyList<string> labels) =>
        string.Join(", ", labels.Select(c => string.Create(CultureInfo.InvariantCulture,
            $"{c} {(options.MinScoreByClass is { } b && b.TryGetValue(c, out var v) ? v : options.MinScore ?? InspectionOptions.DefaultMinScore):0.###}")));
}
