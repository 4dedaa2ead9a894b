using System.Text.Json;
using Edge.Agent.Cli;
using Edge.Models.Synthetic;

namespace Edge.Agent.Tests;

/// <summary>A folder of rendered cards (with labels) plus whatever a test adds; removed afterwards.</summary>
public sealed class CardFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("edge-cli-test-").FullName;
    public List<(string File, string[] Lines)> Cards { get; } = new();

    public CardFolder()
    {
        var wanted = new[] { SampleKind.Horizontal, SampleKind.UpsideDown, SampleKind.Vertical };
        foreach (var sample in OcrSampleSet.Generate())
        {
            using (sample)
            {
                if (!wanted.Contains(sample.Kind) || Cards.Any(c => c.File.StartsWith(sample.Kind.ToString(), StringComparison.Ordinal))) continue;
                var (file, bytes) = SamplesCommand.Encode(sample);
                file = sample.Kind + "-" + file;
                File.WriteAllBytes(System.IO.Path.Combine(Path, file), bytes);
                Cards.Add((file, sample.Lines.Select(l => l.Text).ToArray()));
            }
            if (Cards.Count == wanted.Length) break;
        }
    }

    public string Add(string name, byte[] bytes)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

public class OcrCommandTests : IDisposable
{
    private readonly CardFolder _cards = new();

    public void Dispose() => _cards.Dispose();

    private static (int Code, string Out, string Err) Edge(params string[] args) => CliRun.Capture(args);

    [Fact]
    public void Json_output_has_one_object_per_image_with_text_scores_boxes_and_stage_times()
    {
        var (code, stdout, stderr) = Edge("ocr", _cards.Path, "--json");
        Assert.True(code == 0, stderr);
        var objects = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(_cards.Cards.Count, objects.Count);
        // A folder is read in sorted order.
        Assert.Equal(_cards.Cards.Select(c => c.File).Order(StringComparer.Ordinal), objects.Select(o => Path.GetFileName(o.GetProperty("image").GetString()!)));
        foreach (var o in objects)
        {
            var card = _cards.Cards.Single(c => c.File == Path.GetFileName(o.GetProperty("image").GetString()));
            var lines = o.GetProperty("lines").EnumerateArray().ToList();
            Assert.Equal(card.Lines.Select(Squash).Order(), lines.Select(l => Squash(l.GetProperty("text").GetString()!)).Order());
            foreach (var line in lines)
            {
                Assert.InRange(line.GetProperty("score").GetDouble(), 0.5, 1.0);
                var box = line.GetProperty("box").EnumerateArray().ToList();
                Assert.Equal(4, box.Count);
                Assert.All(box, p => Assert.Equal(2, p.GetArrayLength()));
            }
            var ms = o.GetProperty("ms");
            foreach (var stage in new[] { "decode", "det", "cls", "rec", "total" })
                Assert.True(ms.GetProperty(stage).GetDouble() >= 0, stage);
            Assert.True(ms.GetProperty("total").GetDouble() >= ms.GetProperty("det").GetDouble());
        }
    }

    [Fact]
    public void A_corrupt_image_is_named_the_others_are_still_read_and_the_exit_code_is_nonzero()
    {
        var broken = _cards.Add("broken.png", [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, 1, 2, 3]);
        _cards.Add("notes.jpg", "this is not a JPEG"u8.ToArray());
        var (code, stdout, stderr) = Edge("ocr", _cards.Path, "--json");
        Assert.Equal(1, code);
        Assert.Contains(broken, stderr);
        Assert.Contains("notes.jpg", stderr);
        var objects = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(_cards.Cards.Count + 2, objects.Count);
        Assert.Equal(2, objects.Count(o => o.TryGetProperty("error", out _)));
        Assert.Equal(_cards.Cards.Count, objects.Count(o => o.TryGetProperty("lines", out var l) && l.GetArrayLength() > 0));
    }

    [Fact]
    public void A_missing_file_is_named_and_the_exit_code_is_nonzero()
    {
        var missing = Path.Combine(_cards.Path, "nope.png");
        var (code, stdout, stderr) = Edge("ocr", missing, Path.Combine(_cards.Path, _cards.Cards[0].File));
        Assert.Equal(1, code);
        Assert.Contains(missing, stderr);
        Assert.Contains(_cards.Cards[0].File, stdout);
    }

    [Fact]
    public void The_table_shows_each_image_with_its_lines_and_flags()
    {
        var (code, stdout, stderr) = Edge("ocr", _cards.Path);
        Assert.True(code == 0, stderr);
        foreach (var card in _cards.Cards) Assert.Contains(card.File, stdout);
        Assert.Contains("vertical", stdout);
        Assert.Contains("upside-down", stdout);
        Assert.Contains("total", stdout);
    }

    [Fact]
    public void Asking_for_cuda_falls_back_to_cpu_and_says_why()
    {
        var (code, _, stderr) = Edge("ocr", Path.Combine(_cards.Path, _cards.Cards[0].File), "--providers", "cuda,cpu");
        Assert.Equal(0, code);
        Assert.Contains("Cuda", stderr);
        Assert.Contains("skipped", stderr);
    }

    [Theory]
    [InlineData(new[] { "ocr" }, "at least one image")]
    [InlineData(new[] { "ocr", "x.png", "--colour" }, "--colour")]
    [InlineData(new[] { "ocr", "x.png", "--threads", "many" }, "--threads")]
    [InlineData(new[] { "ocr", "x.png", "--providers", "gpu" }, "gpu")]
    [InlineData(new[] { "bench", "speed" }, "ocr")]
    public void Usage_errors_exit_2_and_name_the_problem(string[] args, string named)
    {
        var (code, _, stderr) = Edge(args);
        Assert.Equal(2, code);
        Assert.Contains(named, stderr);
    }

    [Fact]
    public void Models_missing_from_the_given_folder_are_named_with_the_fix()
    {
        var (code, _, stderr) = Edge("ocr", Path.Combine(_cards.Path, _cards.Cards[0].File), "--models", _cards.Path);
        Assert.Equal(1, code);
        Assert.Contains("ch_PP-OCRv4_det_infer.onnx", stderr);
        Assert.Contains("scripts/setup", stderr);
    }

    [Fact]
    public void Bench_reports_stage_medians_model_time_overhead_allocation_and_accuracy()
    {
        var labels = string.Join('\n', _cards.Cards.Select(c =>
            JsonSerializer.Serialize(new { image = c.File, lines = c.Lines.Select(t => new { text = t }) })));
        File.WriteAllText(Path.Combine(_cards.Path, SamplesCommand.LabelsFile), labels);
        var (code, stdout, stderr) = Edge("bench", "ocr", _cards.Path, "--iterations", "1", "--json");
        Assert.True(code == 0, stderr);
        var o = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(_cards.Cards.Count, o.GetProperty("images").GetInt32());
        var m = o.GetProperty("median_ms");
        Assert.True(m.GetProperty("total").GetDouble() > m.GetProperty("model").GetDouble());
        Assert.InRange(o.GetProperty("overhead").GetDouble(), 0, 1);
        Assert.True(o.GetProperty("bytes_per_image").GetDouble() >= 0);
        Assert.True(o.GetProperty("peak_rss_mb").GetDouble() > 10);
        Assert.Equal(0, o.GetProperty("cer").GetDouble());
    }

    private static string Squash(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));
}
