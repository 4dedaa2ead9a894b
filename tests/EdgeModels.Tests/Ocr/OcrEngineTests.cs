using Edge.Models.Imaging;
using Edge.Models.Ocr;
using Edge.Models.Synthetic;
using Edge.Models.Tests.Onnx;
using Edge.Models.Tests.Support;
using Xunit.Abstractions;

namespace Edge.Models.Tests.Ocr;

/// <summary>Reads the whole rendered set once with the real models; the tests look at parts of it.</summary>
public sealed class RenderedSetFixture : IDisposable
{
    public sealed record Reading(string Name, SampleKind Kind, IReadOnlyList<SampleLine> Expected, IReadOnlyList<OcrLine> Lines);

    public OcrEngine Engine { get; } = OcrEngine.Load(OcrModelSet.Default);
    public List<Reading> Readings { get; } = new();

    public RenderedSetFixture()
    {
        using var decoded = new ImageBuffer();
        foreach (var sample in OcrSampleSet.Generate())
        {
            using (sample)
            {
                var image = sample.Image;
                if (sample.JpegQuality is int q)
                {
                    // The JPEG loss the sample asks for, through the real codec.
                    JpegCodec.Decode(JpegCodec.Encode(sample.Image, q), decoded);
                    image = decoded;
                }
                Readings.Add(new Reading(sample.Name, sample.Kind, sample.Lines, Engine.Read(image).Lines));
            }
        }
    }

    public void Dispose() => Engine.Dispose();
}

public class OcrEngineTests(RenderedSetFixture set, ITestOutputHelper output) : IClassFixture<RenderedSetFixture>
{
    private static string Norm(string s) => OcrAccuracy.Normalize(s);

    private void AssertReadExactly(IEnumerable<RenderedSetFixture.Reading> readings)
    {
        var list = readings.ToList();
        Assert.NotEmpty(list);
        foreach (var r in list)
        {
            var got = r.Lines.Select(l => Norm(l.Text)).Order(StringComparer.Ordinal).ToArray();
            var want = r.Expected.Select(l => Norm(l.Text)).Order(StringComparer.Ordinal).ToArray();
            Assert.True(want.SequenceEqual(got), $"{r.Name}: expected [{string.Join(" | ", want)}], read [{string.Join(" | ", got)}]");
        }
    }

    [Fact]
    public void Character_error_rate_over_the_rendered_set_is_at_most_2_percent()
    {
        int errors = 0, chars = 0;
        foreach (var r in set.Readings)
        {
            var (e, c) = OcrAccuracy.Score(r.Expected.Select(l => l.Text).ToList(), r.Lines.Select(l => l.Text).ToList());
            if (e > 0) output.WriteLine($"{r.Name}: {e} errors: [{string.Join(" | ", r.Lines.Select(l => l.Text))}]");
            errors += e;
            chars += c;
        }
        output.WriteLine($"CER {(double)errors / chars:P2} over {chars} characters in {set.Readings.Count} images");
        Assert.True(chars > 500, $"the set should hold a real amount of text, has {chars} characters");
        Assert.InRange((double)errors / chars, 0, 0.02);
    }

    [Fact]
    public void Every_upside_down_card_is_read_exactly_and_flagged()
    {
        var upsideDown = set.Readings.Where(r => r.Kind == SampleKind.UpsideDown).ToList();
        AssertReadExactly(upsideDown);
        Assert.All(upsideDown, r => Assert.All(r.Lines, l => Assert.True(l.UpsideDown, $"{r.Name}: '{l.Text}' not flagged upside down")));
    }

    [Fact]
    public void Every_vertical_column_is_its_own_line_read_top_to_bottom()
    {
        var vertical = set.Readings.Where(r => r.Kind == SampleKind.Vertical || r.Expected.Any(l => l.Vertical)).ToList();
        Assert.True(vertical.Count(r => r.Expected.Count == 2) >= 2, "the set should hold two-column couplets");
        AssertReadExactly(vertical);
        foreach (var r in vertical)
        {
            Assert.Equal(r.Expected.Count, r.Lines.Count);
            Assert.All(r.Lines, l => Assert.True(l.Vertical, $"{r.Name}: '{l.Text}' not flagged vertical"));
        }
    }

    [Fact]
    public void Couplet_columns_come_right_to_left_as_vertical_chinese_is_read()
    {
        var couplets = set.Readings.Where(r => r.Expected.Count == 2 && r.Expected.All(l => l.Vertical)).ToList();
        Assert.True(couplets.Count >= 2);
        foreach (var r in couplets)
        {
            Assert.Equal(r.Expected.Select(l => l.Text), r.Lines.Select(l => l.Text));
            Assert.True(r.Lines[0].Box.Center.X > r.Lines[1].Box.Center.X, $"{r.Name}: columns out of order");
        }
    }

    [Fact]
    public void Chinese_blessings_in_sans_and_kai_on_white_and_red_cards_are_read_exactly()
    {
        var flat = set.Readings.Where(r => r.Kind == SampleKind.Horizontal && (r.Name.Contains("-zh-") || r.Name.Contains("-red-"))).ToList();
        Assert.Contains(flat, r => r.Name.Contains("kai"));
        Assert.Contains(flat, r => r.Name.Contains("red"));
        AssertReadExactly(flat);
    }

    [Fact]
    public void Digits_and_dates_are_read_exactly()
    {
        AssertReadExactly(set.Readings.Where(r => r.Kind == SampleKind.Horizontal && r.Name.Contains("-num-")));
    }

    [Fact]
    public void English_lines_are_read_exactly_apart_from_spaces()
    {
        AssertReadExactly(set.Readings.Where(r => r.Kind == SampleKind.Horizontal && r.Name.Contains("-en-")));
    }

    [Fact]
    public void Turned_and_photographed_cards_are_read_with_at_most_one_error_each()
    {
        var turned = set.Readings.Where(r => r.Kind is SampleKind.Rotated or SampleKind.Perspective).ToList();
        Assert.True(turned.Count >= 10);
        foreach (var r in turned)
        {
            var (e, _) = OcrAccuracy.Score(r.Expected.Select(l => l.Text).ToList(), r.Lines.Select(l => l.Text).ToList());
            Assert.True(e <= 1, $"{r.Name}: {e} errors, read [{string.Join(" | ", r.Lines.Select(l => l.Text))}]");
        }
    }

    [Fact]
    public void Horizontal_lines_come_top_to_bottom()
    {
        foreach (var r in set.Readings.Where(r => r.Kind == SampleKind.Horizontal && r.Lines.Count > 1))
        {
            // Which expected line each read line is (closest by edit distance): the sequence must run in order.
            var order = r.Lines.Select(l => Enumerable.Range(0, r.Expected.Count)
                .MinBy(i => OcrAccuracy.EditDistance(Norm(r.Expected[i].Text), Norm(l.Text)))).ToArray();
            Assert.True(order.SequenceEqual(order.Order()), $"{r.Name}: lines read in order [{string.Join(",", order)}]");
        }
    }

    [Fact]
    public void An_upside_down_card_is_read_from_its_own_top_line()
    {
        foreach (var r in set.Readings.Where(r => r.Kind == SampleKind.UpsideDown && r.Expected.Count > 1))
            Assert.Equal(r.Expected.Select(l => Norm(l.Text)), r.Lines.Select(l => Norm(l.Text)));
    }

    [Fact]
    public void A_blank_image_has_no_lines()
    {
        using var blank = new ImageBuffer(400, 300, PixelFormat.Rgb24);
        blank.Data.Fill(240);
        Assert.Empty(set.Engine.Read(blank).Lines);
    }

    [Fact]
    public void Reading_again_allocates_only_the_results()
    {
        using var sample = OcrSampleSet.Generate().First(s => s.Kind == SampleKind.Horizontal && s.Lines.Count >= 2);
        var lines = new List<OcrLine>(16);
        var allocations = Allocations.SteadyState(() =>
        {
            lines.Clear();
            set.Engine.ReadInto(sample.Image, lines);
        }, warmUp: 1, windows: 3, callsPerWindow: 2);
        long perImage = allocations.BytesPerCall;
        // The results themselves: one OcrLine and one string per line.
        long results = lines.Sum(l => 64 + 22 + 2L * l.Text.Length);
        output.WriteLine($"{perImage} bytes per image, results about {results}");
        Assert.True(perImage <= results + 256, $"{perImage} bytes allocated per image; the results account for about {results}");
    }
}

public class OcrEngineErrorTests
{
    [Fact]
    public void A_missing_model_folder_names_the_file_and_the_fix()
    {
        var e = Assert.Throws<FileNotFoundException>(() => OcrEngine.Load(OcrModelSet.FromDirectory("/nonexistent/models")));
        Assert.Contains("/nonexistent/models", e.Message);
        Assert.Contains("scripts/setup", e.Message);
    }

    [Fact]
    public void A_classifier_given_as_the_detector_fails_with_a_message_naming_it()
    {
        using var tmp = new TempDirectory();
        var real = OcrModelSet.Default;
        File.Copy(real.ClassifierPath, tmp.File(OcrModelSet.DetectorFile));
        File.Copy(real.ClassifierPath, tmp.File(OcrModelSet.ClassifierFile));
        File.Copy(real.RecognizerPath, tmp.File(OcrModelSet.RecognizerFile));
        File.Copy(real.DictionaryPath, tmp.File(OcrModelSet.DictionaryFile));
        using var engine = OcrEngine.Load(OcrModelSet.FromDirectory(tmp.Path));
        using var image = new ImageBuffer(200, 64, PixelFormat.Rgb24);
        var e = Assert.ThrowsAny<Exception>(() => engine.Read(image));
        Assert.True(e is InvalidDataException or Edge.Models.Onnx.TensorShapeException, e.GetType().Name);
        Assert.Contains(OcrModelSet.DetectorFile, e.Message);
    }

    [Fact]
    public void A_dictionary_that_does_not_match_the_recogniser_is_refused()
    {
        using var tmp = new TempDirectory();
        var real = OcrModelSet.Default;
        foreach (var f in new[] { OcrModelSet.DetectorFile, OcrModelSet.ClassifierFile, OcrModelSet.RecognizerFile })
            File.Copy(Path.Combine(Path.GetDirectoryName(real.DetectorPath)!, f), tmp.File(f));
        File.WriteAllLines(tmp.File(OcrModelSet.DictionaryFile), File.ReadLines(real.DictionaryPath).Take(100));
        var e = Assert.Throws<InvalidDataException>(() => OcrEngine.Load(OcrModelSet.FromDirectory(tmp.Path)));
        Assert.Contains("6625", e.Message);
        Assert.Contains("102", e.Message);
    }

    [Fact]
    public void Out_of_range_options_name_the_option_and_the_value()
    {
        var e = Assert.Throws<ArgumentException>(() => OcrEngine.Load(OcrModelSet.Default, new OcrOptions { DetThreshold = 1.5f }));
        Assert.Contains("DetThreshold", e.Message);
        Assert.Contains("1.5", e.Message);
    }
}
