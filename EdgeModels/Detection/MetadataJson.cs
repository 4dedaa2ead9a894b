using System.Text.Json;

namespace Edge.Models.Detection;

/// <summary>
/// JSON objects carried in an ONNX model's metadata (a detector's <c>min_score</c>, a verifier's <c>band</c>), read with
/// errors that name the model, the key and the text.
/// </summary>
internal static class MetadataJson
{
    /// <summary>"MODEL: metadata 'KEY' = TEXT" (TEXT shortened to 80 characters): how every error about the entry begins.</summary>
    public static string Where(string model, string key, string text) =>
        $"{model}: metadata '{key}' = {(text.Length <= 80 ? text : text[..77] + "...")}";

    /// <summary>Parses <paramref name="text"/> as a JSON object; the caller disposes the document.</summary>
    /// <param name="expected">What the entry should be, for the error, e.g. <c>an object of class name to score</c>.</param>
    /// <exception cref="InvalidDataException">not JSON, or not an object.</exception>
    public static JsonDocument ParseObject(string model, string key, string text, string expected)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw new InvalidDataException($"{Where(model, key, text)}: not JSON ({e.Message})", e); }
        if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
        doc.Dispose();
        throw new InvalidDataException($"{Where(model, key, text)}: expected {expected}");
    }

    /// <summary>The number 0..1 that <paramref name="value"/> (the entry's member <paramref name="name"/>) holds.</summary>
    /// <exception cref="InvalidDataException">not a number, or outside 0..1; the message begins with <paramref name="where"/>.</exception>
    public static float UnitNumber(string where, string name, JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && d is >= 0 and <= 1
            ? (float)d
            : throw new InvalidDataException($"{where}: {name} = {value.GetRawText()}, expected a number 0..1");
}
