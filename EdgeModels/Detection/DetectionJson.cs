using System.Text.Json;

namespace Edge.Models.Detection;

/// <summary>The one JSON form of detections, shared by <c>edge detect --json</c> and the agent's events.</summary>
public static class DetectionJson
{
    /// <summary>
    /// Writes <c>"detections": [{"label", "class", "score", "box": [x1, y1, x2, y2], "verified"?}]</c>; box corners to 0.1 px,
    /// scores to 4 places; <c>verified</c> (the second look's probability, <see cref="Detection.Verified"/>) only for a
    /// detection a verifier looked at.
    /// </summary>
    public static void WriteDetections(Utf8JsonWriter w, IEnumerable<Detection> detections)
    {
        w.WriteStartArray("detections");
        foreach (var d in detections)
        {
            w.WriteStartObject();
            w.WriteString("label", d.Label);
            w.WriteNumber("class", d.ClassId);
            w.WriteNumber("score", Math.Round(d.Score, 4));
            w.WriteStartArray("box");
            w.WriteNumberValue(Math.Round(d.X1, 1));
            w.WriteNumberValue(Math.Round(d.Y1, 1));
            w.WriteNumberValue(Math.Round(d.X2, 1));
            w.WriteNumberValue(Math.Round(d.Y2, 1));
            w.WriteEndArray();
            if (d.IsVerified) w.WriteNumber("verified", Math.Round(d.Verified, 4));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>
    /// Writes <c>"ms": {"decode"?, "preprocess", "model", "postprocess", "verify"?, "total"}</c> (decode only when the image
    /// was decoded here; verify, the second look's time, only when it looked at a box).
    /// </summary>
    public static void WriteTimings(Utf8JsonWriter w, in DetectionTimings t, bool includeDecode)
    {
        w.WriteStartObject("ms");
        if (includeDecode) w.WriteNumber("decode", Math.Round(t.DecodeMs, 2));
        w.WriteNumber("preprocess", Math.Round(t.PreprocessMs, 2));
        w.WriteNumber("model", Math.Round(t.ModelMs, 2));
        w.WriteNumber("postprocess", Math.Round(t.PostprocessMs, 2));
        if (t.Verified > 0) w.WriteNumber("verify", Math.Round(t.VerifyMs, 2));
        w.WriteNumber("total", Math.Round(t.TotalMs, 2));
        w.WriteEndObject();
    }

    /// <summary>One image's line: <c>{"image", "detections", "ms"}</c>.</summary>
    public static void WriteResult(Utf8JsonWriter w, string image, DetectionResult result, bool includeDecode)
    {
        w.WriteStartObject();
        w.WriteString("image", image);
        WriteDetections(w, result.Detections);
        WriteTimings(w, result.Timings, includeDecode);
        w.WriteEndObject();
    }
}
