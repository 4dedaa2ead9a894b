using System.Diagnostics;
using System.Text.Json;
using Edge.Models.Imaging;
using Edge.Models.Ocr;
using Edge.Models.Onnx;
using Edge.Models.Synthetic;

namespace Edge.Agent.Cli;

/// <summary>
/// <c>edge bench ocr</c>: per-stage medians, the time spent inside ONNX Runtime for the same inputs in
/// the same run, pipeline overhead, managed bytes allocated per image, peak RSS, load time and (when
/// labels are known) the character error rate.
/// </summary>
internal static class BenchOcrCommand
{
    public const string Usage = """
        usage: edge bench ocr [IMAGES|DIR...] [--iterations N] [--json] [options]

        Times the OCR pipeline. Without images it uses the project's rendered evaluation set.
        Images are read into memory first, so disk speed is not measured; decoding is.
          --iterations N        timed passes over the images after one warm-up pass (default 5)
          --json                print the figures as one JSON object
        """ + "\n" + OcrSetup.Help;

    private sealed record BenchImage(string Name, byte[] Bytes, List<string>? Expected);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, [.. OcrSetup.Valued, "iterations"]);
        bool json = cl.Flag("json");
        int iterations = cl.Int("iterations", 5, 1, 1000);
        var images = LoadImages(cl.Positional, stderr);
        if (images.Count == 0) throw new UsageException("no JPEG or PNG images to benchmark");

        var loadStart = Stopwatch.GetTimestamp();
        using var engine = OcrSetup.CreateEngine(cl, stderr);
        engine.Warmup();
        double loadMs = Stopwatch.GetElapsedTime(loadStart).TotalMilliseconds;

        using var buffer = new ImageBuffer();
        var lines = new List<OcrLine>(64);
        // Warm-up pass: sizes every buffer and JIT-compiles every path; also gives the accuracy figures.
        int errors = 0, refChars = 0, labelled = 0;
        foreach (var img in images)
        {
            ImageCodec.Decode(img.Bytes, buffer, PixelFormat.Rgb24);
            lines.Clear();
            engine.ReadInto(buffer, lines);
            if (img.Expected is null) continue;
            var (e, r) = OcrAccuracy.Score(img.Expected, lines.Select(l => l.Text).ToList());
            errors += e; refChars += r; labelled++;
        }

        var decode = new List<double>(); var det = new List<double>(); var cls = new List<double>();
        var rec = new List<double>(); var total = new List<double>();
        var detModel = new List<double>(); var clsModel = new List<double>(); var recModel = new List<double>(); var model = new List<double>();
        var samples = new double[images.Count * iterations * 9];
        int k = 0;
        long allocated = 0;
        for (int it = 0; it < iterations; it++)
        {
            foreach (var img in images)
            {
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                long t0 = Stopwatch.GetTimestamp();
                ImageCodec.Decode(img.Bytes, buffer, PixelFormat.Rgb24);
                double decodeMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                lines.Clear();
                var t = engine.ReadInto(buffer, lines);
                allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                samples[k++] = decodeMs; samples[k++] = t.DetMs; samples[k++] = t.ClsMs; samples[k++] = t.RecMs;
                samples[k++] = t.TotalMs + decodeMs; samples[k++] = t.DetModelMs; samples[k++] = t.ClsModelMs;
                samples[k++] = t.RecModelMs; samples[k++] = t.ModelMs;
            }
        }
        for (int i = 0; i < k; i += 9)
        {
            decode.Add(samples[i]); det.Add(samples[i + 1]); cls.Add(samples[i + 2]); rec.Add(samples[i + 3]);
            total.Add(samples[i + 4]); detModel.Add(samples[i + 5]); clsModel.Add(samples[i + 6]); recModel.Add(samples[i + 7]); model.Add(samples[i + 8]);
        }
        int runs = images.Count * iterations;
        double overhead = (total.Sum() - model.Sum()) / total.Sum();
        double bytesPerImage = (double)allocated / runs;
        double peakRssMb = PeakRssMb();
        double? cer = refChars > 0 ? (double)errors / refChars : null;
        var provider = engine.Provider;

        if (json)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, OcrCommand.JsonOptions))
            {
                w.WriteStartObject();
                w.WriteString("tool", "edge");
                w.WriteNumber("images", images.Count);
                w.WriteNumber("iterations", iterations);
                w.WriteString("provider", provider.ToString());
                w.WriteString("ort_version", OnnxRuntime.Version);
                w.WriteNumber("load_ms", Math.Round(loadMs, 1));
                w.WriteStartObject("median_ms");
                void M(string name, List<double> v) => w.WriteNumber(name, Math.Round(Median(v), 2));
                M("decode", decode); M("det", det); M("cls", cls); M("rec", rec); M("total", total);
                M("det_model", detModel); M("cls_model", clsModel); M("rec_model", recModel); M("model", model);
                w.WriteEndObject();
                w.WriteNumber("mean_total_ms", Math.Round(total.Average(), 2));
                w.WriteNumber("overhead", Math.Round(overhead, 4));
                w.WriteNumber("bytes_per_image", Math.Round(bytesPerImage));
                w.WriteNumber("peak_rss_mb", Math.Round(peakRssMb, 1));
                if (cer is double c) { w.WriteNumber("cer", Math.Round(c, 4)); w.WriteNumber("cer_chars", refChars); }
                w.WriteStartObject("per_image_median_ms");
                for (int i = 0; i < images.Count; i++)
                {
                    var perImage = new List<double>();
                    for (int it = 0; it < iterations; it++) perImage.Add(total[it * images.Count + i]);
                    w.WriteNumber(images[i].Name, Math.Round(Median(perImage), 2));
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            stdout.WriteLine(System.Text.Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length));
            return 0;
        }

        stdout.WriteLine($"edge bench ocr: {images.Count} images x {iterations} iterations, provider {provider}, ONNX Runtime {OnnxRuntime.Version}, {Environment.ProcessorCount} cores");
        stdout.WriteLine($"  models loaded and warmed    {loadMs,8:0} ms");
        stdout.WriteLine($"  {"stage",-14}{"median ms",12}{"model ms",12}{"overhead ms",13}");
        Row(stdout, "decode", decode, null);
        Row(stdout, "det", det, detModel);
        Row(stdout, "cls", cls, clsModel);
        Row(stdout, "rec", rec, recModel);
        Row(stdout, "total/image", total, model);
        stdout.WriteLine($"  pipeline overhead = (total - model) / total = {overhead:P1} (sums over {runs} runs)");
        stdout.WriteLine($"  managed bytes allocated per image after warm-up: {bytesPerImage:0} (results included)");
        stdout.WriteLine($"  peak RSS: {peakRssMb:0.0} MB");
        if (cer is double rate)
            stdout.WriteLine($"  accuracy: CER {rate:P2} over {refChars} characters in {labelled} labelled images");
        return 0;
    }

    private static void Row(TextWriter o, string name, List<double> stage, List<double>? model)
    {
        double s = Median(stage);
        if (model is null) { o.WriteLine($"  {name,-14}{s,12:0.00}{"-",12}{s,13:0.00}"); return; }
        double m = Median(model);
        o.WriteLine($"  {name,-14}{s,12:0.00}{m,12:0.00}{s - m,13:0.00}");
    }

    private static double Median(List<double> v)
    {
        if (v.Count == 0) return 0;
        var sorted = v.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) / 1024.0;
        return 0;
    }

    private static List<BenchImage> LoadImages(List<string> inputs, TextWriter stderr)
    {
        var list = new List<BenchImage>();
        if (inputs.Count == 0)
        {
            foreach (var sample in OcrSampleSet.Generate())
                using (sample)
                {
                    var (file, bytes) = SamplesCommand.Encode(sample);
                    list.Add(new BenchImage(file, bytes, sample.Lines.Select(l => l.Text).ToList()));
                }
            return list;
        }
        var labelsByDir = new Dictionary<string, Dictionary<string, List<string>>>();
        foreach (var path in OcrSetup.ExpandImages(inputs))
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
            var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (!labelsByDir.TryGetValue(dir, out var labels)) labelsByDir[dir] = labels = SamplesCommand.ReadLabels(dir);
            labels.TryGetValue(Path.GetFileName(path), out var expected);
            var bytes = File.ReadAllBytes(path);
            try
            {
                using var probe = new ImageBuffer();
                ImageCodec.Decode(bytes, probe, PixelFormat.Rgb24);
            }
            catch (ImageDecodeException e)
            {
                stderr.WriteLine($"edge bench: skipping {path}: {e.Message}");
                continue;
            }
            list.Add(new BenchImage(Path.GetFileName(path), bytes, expected));
        }
        return list;
    }
}
