using System.Text.Json;
using Edge.Models.Imaging;
using Edge.Models.Synthetic;

namespace Edge.Agent.Cli;

/// <summary><c>edge samples ocr --out DIR</c>: writes the rendered OCR evaluation set with its labels.</summary>
internal static class SamplesCommand
{
    public const string Usage = """
        usage: edge samples ocr --out DIR [--seed N]

        Renders the project's OCR evaluation set (Chinese blessings, English, digits, rotation,
        upside-down, vertical couplets, Kai font, red/gold cards, blur, JPEG loss, perspective)
        into DIR as PNG/JPEG files, with DIR/labels.jsonl giving the expected lines of each.
        """;

    public const string LabelsFile = "labels.jsonl";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, "out", "seed");
        if (cl.Positional.Count != 1 || cl.Positional[0] != "ocr") throw new UsageException("usage: edge samples ocr --out DIR [--seed N]");
        var outDir = cl.Value("out") ?? throw new UsageException("edge samples ocr needs --out DIR");
        int seed = cl.Int("seed", 2026, 0, int.MaxValue);
        cl.RejectUnknown();
        Directory.CreateDirectory(outDir);
        int count = 0;
        using var labels = new StreamWriter(Path.Combine(outDir, LabelsFile));
        foreach (var sample in OcrSampleSet.Generate(seed))
        {
            using (sample)
            {
                var (file, bytes) = Encode(sample);
                File.WriteAllBytes(Path.Combine(outDir, file), bytes);
                labels.WriteLine(LabelJson(file, sample));
                count++;
            }
        }
        stderr.WriteLine($"edge samples: wrote {count} images and {LabelsFile} to {outDir}");
        return 0;
    }

    /// <summary>The file name and bytes of a sample: JPEG at its quality when it asks for JPEG loss, else PNG.</summary>
    public static (string File, byte[] Bytes) Encode(OcrSample sample) => sample.JpegQuality is int q
        ? (sample.Name + ".jpg", JpegCodec.Encode(sample.Image, q))
        : (sample.Name + ".png", PngCodec.Encode(sample.Image));

    private static string LabelJson(string file, OcrSample sample)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, OcrCommand.JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("image", file);
            w.WriteString("kind", sample.Kind.ToString());
            w.WriteStartArray("lines");
            foreach (var line in sample.Lines)
            {
                w.WriteStartObject();
                w.WriteString("text", line.Text);
                if (line.Vertical) w.WriteBoolean("vertical", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads DIR/labels.jsonl if present: image file name → expected lines.</summary>
    public static Dictionary<string, List<string>> ReadLabels(string dir)
    {
        var labels = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var path = Path.Combine(dir, LabelsFile);
        if (!File.Exists(path)) return labels;
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var image = doc.RootElement.GetProperty("image").GetString()!;
                labels[image] = doc.RootElement.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString()!).ToList();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{lineNo}: not a label line ({e.Message})");
            }
        }
        return labels;
    }
}
