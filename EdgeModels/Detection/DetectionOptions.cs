using Edge.Models.Onnx;

namespace Edge.Models.Detection;

/// <summary>Detection settings; defaults follow YOLOv5's detect.py (conf 0.25, IoU 0.45, at most 300 boxes).</summary>
public sealed record DetectionOptions
{
    /// <summary>Score threshold for classes not listed in <see cref="ClassConfidence"/>.</summary>
    public float Confidence { get; init; } = 0.25f;

    /// <summary>Per-class score thresholds by class id, overriding <see cref="Confidence"/>.</summary>
    public IReadOnlyDictionary<int, float>? ClassConfidence { get; init; }

    /// <summary>Boxes overlapping a better one by more than this IoU are suppressed.</summary>
    public float Iou { get; init; } = 0.45f;

    public int MaxDetections { get; init; } = 300;

    /// <summary>Suppress overlapping boxes whatever their class (default: only within a class).</summary>
    public bool ClassAgnostic { get; init; }

    /// <summary>The longer input side for models whose height and width are dynamic (rounded up to a multiple of 32 for YOLO).</summary>
    public int InputSize { get; init; } = 640;

    /// <summary>Class names by id, overriding the model's metadata.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Forces a layout instead of detecting it from the model's inputs, outputs and metadata.</summary>
    public DetectionModelKind? Kind { get; init; }

    /// <summary>
    /// Mean and standard deviation (RGB order, on pixel/255) for PaddleDetection models; null = ImageNet's,
    /// as PicoDet is trained. PP-YOLOE+ uses mean 0 and std 1. YOLO models always take pixel/255.
    /// </summary>
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }

    public OnnxSessionConfig Session { get; init; } = OnnxSessionConfig.Default;

    public static DetectionOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and the bad value.</summary>
    public void Validate()
    {
        Check(Confidence is >= 0 and < 1, nameof(Confidence), Confidence, "0..1 (1 excluded)");
        if (ClassConfidence is not null)
            foreach (var (id, threshold) in ClassConfidence)
            {
                Check(id is >= 0 and < 100_000, nameof(ClassConfidence), $"{{{id}: {threshold}}}", "class ids 0..99999");
                Check(threshold is >= 0 and < 1, nameof(ClassConfidence), $"{{{id}: {threshold}}}", "thresholds 0..1 (1 excluded)");
            }
        Check(Iou is > 0 and <= 1, nameof(Iou), Iou, "above 0, at most 1");
        Check(MaxDetections is >= 1 and <= 100_000, nameof(MaxDetections), MaxDetections, "1..100000");
        Check(InputSize is >= 32 and <= 8192, nameof(InputSize), InputSize, "32..8192");
        if (Kind is { } kind) Check(Enum.IsDefined(kind), nameof(Kind), kind, string.Join(", ", Enum.GetNames<DetectionModelKind>()));
        if (Mean is not null || Std is not null)
        {
            Check(Mean is { Length: 3 }, nameof(Mean), Mean is null ? "null" : $"{Mean.Length} values", "3 values with Std");
            Check(Std is { Length: 3 } && Std.All(s => s > 0 && float.IsFinite(s)), nameof(Std), Std is null ? "null" : string.Join(",", Std), "3 positive values with Mean");
        }
        Session.Validate();
    }

    private static void Check(bool ok, string name, object value, string allowed)
    {
        if (!ok) throw new ArgumentException($"detection option {name} = {value} is out of range (allowed: {allowed})", name);
    }
}
