using System.Text.Encodings.Web;
using System.Text.Json;
using Edge.Models.Imaging;
using Edge.Models.Ocr;

namespace Edge.Agent.Cli;

/// <summary><c>edge ocr IMAGE|DIR... [--json]</c>: read text from images.</summary>
internal static class OcrCommand
{
    public const string Usage = """
        usage: edge ocr IMAGE|DIR... [--json] [options]

        Reads text from JPEG/PNG images; a folder means every JPEG/PNG in it, sorted.
          --json                one JSON object per image on its own line
        """ + "\n" + OcrSetup.Help;

    internal static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, OcrSetup.Valued);
        bool json = cl.Flag("json");
        if (cl.Positional.Count == 0) throw new UsageException("edge ocr needs at least one image or folder");
        var images = OcrSetup.ExpandImages(cl.Positional);
        using var engine = OcrSetup.CreateEngine(cl, stderr);
        engine.Warmup(); // so the first image's stage times are not JIT time

        return ImageBatch.Run("ocr", images, json, stdout, stderr, path => engine.Read(path), ToJson, WriteTable);
    }

    public static string ToJson(string path, OcrResult result)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("image", path);
            OcrJson.WriteLines(w, result.Lines);
            OcrJson.WriteTimings(w, result.Timings, includeDecode: true);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteTable(TextWriter o, string path, OcrResult result)
    {
        var t = result.Timings;
        o.WriteLine($"{path}  ({result.Lines.Count} lines; decode {t.DecodeMs:0.0} ms, det {t.DetMs:0.0}, cls {t.ClsMs:0.0}, rec {t.RecMs:0.0}, total {t.TotalMs:0.0} ms)");
        foreach (var line in result.Lines)
        {
            var b = line.Box;
            var flags = (line.Vertical ? " vertical" : "") + (line.UpsideDown ? " upside-down" : "");
            o.WriteLine($"  {line.Score:0.00}  {line.Text}    @({b.P0.X:0},{b.P0.Y:0})-({b.P2.X:0},{b.P2.Y:0}){flags}");
        }
    }
}
