using System.Text.Json;

namespace Edge.Models.Ocr;

/// <summary>The one JSON form of recognised lines, shared by <c>edge ocr --json</c> and the agent's events.</summary>
public static class OcrJson
{
    /// <summary>Writes <c>"lines": [{"text","score","box":[[x,y]×4],"vertical"?,"upside_down"?}]</c>.</summary>
    public static void WriteLines(Utf8JsonWriter w, IEnumerable<OcrLine> lines)
    {
        w.WriteStartArray("lines");
        foreach (var line in lines)
        {
            w.WriteStartObject();
            w.WriteString("text", line.Text);
            w.WriteNumber("score", Math.Round(line.Score, 4));
            w.WriteStartArray("box");
            for (int i = 0; i < 4; i++)
            {
                w.WriteStartArray();
                w.WriteNumberValue(MathF.Round(line.Box[i].X));
                w.WriteNumberValue(MathF.Round(line.Box[i].Y));
                w.WriteEndArray();
            }
            w.WriteEndArray();
            if (line.Vertical) w.WriteBoolean("vertical", true);
            if (line.UpsideDown) w.WriteBoolean("upside_down", true);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Writes <c>"ms": {"decode"?, "det", "cls", "rec", "total"}</c> (decode only when the image was decoded here).</summary>
    public static void WriteTimings(Utf8JsonWriter w, in OcrTimings t, bool includeDecode)
    {
        w.WriteStartObject("ms");
        if (includeDecode) w.WriteNumber("decode", Math.Round(t.DecodeMs, 2));
        w.WriteNumber("det", Math.Round(t.DetMs, 2));
        w.WriteNumber("cls", Math.Round(t.ClsMs, 2));
        w.WriteNumber("rec", Math.Round(t.RecMs, 2));
        w.WriteNumber("total", Math.Round(t.TotalMs, 2));
        w.WriteEndObject();
    }
}
