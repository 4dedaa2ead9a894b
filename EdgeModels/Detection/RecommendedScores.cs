using System.Globalization;

namespace Edge.Models.Detection;

/// <summary>
/// A detection model's recommended operating point: the lowest score per class at which a detection should count,
/// carried in the model's <c>min_score</c> metadata as a JSON object of class name → score (0..1), e.g.
/// <c>{"scratch": 0.2, "dent": 0.35}</c>. The project's defect model gets it from <c>operating_point.py</c>, chosen on
/// a validation set; it travels with the model file, so a model swapped in brings its own thresholds.
/// </summary>
public static class RecommendedScores
{
    public const string MetadataKey = "min_score";

    /// <summary>
    /// The model's per-class scores by class name, or null when the metadata has no <c>min_score</c> entry.
    /// </summary>
    /// <exception cref="InvalidDataException">the entry is not a JSON object of known class names to numbers 0..1; the message names the model and the bad part.</exception>
    public static IReadOnlyDictionary<string, float>? FromMetadata(string modelName, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(labels);
        if (!metadata.TryGetValue(MetadataKey, out var text) || string.IsNullOrWhiteSpace(text)) return null;
        var where = MetadataJson.Where(modelName, MetadataKey, text);
        using var doc = MetadataJson.ParseObject(modelName, MetadataKey, text, "an object of class name to score, e.g. {\"scratch\": 0.2}");
        var scores = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (!labels.Contains(p.Name))
                throw new InvalidDataException($"{where}: class '{p.Name}' is not one of the model's ({string.Join(", ", labels)})");
            scores[p.Name] = MetadataJson.UnitNumber(where, p.Name, p.Value);
        }
        return scores;
    }

    /// <summary>Writes scores as <c>scratch 0.2, dent 0.35</c> (for logs and headers).</summary>
    public static string Describe(IReadOnlyDictionary<string, float> scores) =>
        string.Join(", ", scores.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.###}")));
}
