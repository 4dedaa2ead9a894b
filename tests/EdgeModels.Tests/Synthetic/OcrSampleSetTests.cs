using System.Security.Cryptography;
using System.Text;
using Edge.Models.Synthetic;
using Edge.Models.Text;

namespace Edge.Models.Tests.Synthetic;

/// <summary>Generates the default set once; the determinism test renders it again.</summary>
public sealed class DefaultSampleSet : IDisposable
{
    public List<OcrSample> Samples { get; } = OcrSampleSet.Generate().ToList();

    public void Dispose() => Samples.ForEach(sample => sample.Dispose());
}

public class OcrSampleSetTests(DefaultSampleSet set) : IClassFixture<DefaultSampleSet>
{
    private readonly List<OcrSample> _samples = set.Samples;

    [Fact]
    public void The_same_seed_gives_identical_pixels_and_another_seed_does_not()
    {
        var again = Fingerprints(OcrSampleSet.Generate(2026));
        Assert.Equal(_samples.Select(Fingerprint), again);
        Assert.NotEqual(again, Fingerprints(OcrSampleSet.Generate(7)));
    }

    [Fact]
    public void The_set_has_40_to_60_uniquely_named_card_sized_samples()
    {
        Assert.InRange(_samples.Count, 40, 60);
        Assert.Equal(_samples.Count, _samples.Select(s => s.Name).Distinct().Count());
        Assert.All(_samples, sample =>
        {
            Assert.Matches("^(h|v|p|r-tilt|r-180)-[a-z]+-(sans|kai)-[0-9]{2}$", sample.Name);
            Assert.InRange(sample.Image.Width, 320, 1100);
            Assert.InRange(sample.Image.Height, 180, 1100);
            Assert.NotEmpty(sample.Lines);
            Assert.All(sample.Lines, line => Assert.False(string.IsNullOrWhiteSpace(line.Text)));
        });
    }

    [Fact]
    public void Every_kind_font_and_card_condition_appears_in_several_samples()
    {
        foreach (var kind in Enum.GetValues<SampleKind>())
            Assert.True(_samples.Count(s => s.Kind == kind) >= 3, $"only {_samples.Count(s => s.Kind == kind)} {kind} samples");
        Assert.True(_samples.Count(s => s.Name.Contains("-kai-")) >= 10);
        Assert.True(_samples.Count(s => s.Name.Contains("-sans-")) >= 10);
        Assert.True(_samples.Count(s => s.Name.Contains("-red-")) >= 3);
        Assert.True(_samples.Count(s => s.Name.Contains("-en-")) >= 3);
        Assert.True(_samples.Count(s => s.Name.Contains("-num-")) >= 3);
        Assert.True(_samples.Count(s => s.Name.Contains("-mix-")) >= 3);
        Assert.True(_samples.Count(s => s.Lines.Any(l => l.Text.Any(char.IsAsciiDigit))) >= 6, "digits");

        var jpeg = _samples.Where(s => s.JpegQuality is not null).ToList();
        Assert.True(jpeg.Count >= 5);
        Assert.All(jpeg, s => Assert.InRange(s.JpegQuality!.Value, 40, 75));
    }

    [Fact]
    public void Couplets_are_two_vertical_columns_right_column_first_and_single_columns_exist()
    {
        var couplets = _samples.Where(s => s.Name.Contains("-couplet-")).ToList();
        Assert.True(couplets.Count >= 2);
        var firstLines = new[] { "春回大地千山秀", "天增岁月人增寿", "一帆风顺年年好", "和顺一门有百福", "福如东海长流水", "春风迎新岁", "花开富贵满堂" };
        Assert.All(couplets, couplet =>
        {
            Assert.Equal(2, couplet.Lines.Count);
            Assert.All(couplet.Lines, line => Assert.True(line.Vertical));
            Assert.All(couplet.Lines, line => Assert.InRange(line.Text.Length, 5, 7));
            Assert.Contains(couplet.Lines[0].Text, firstLines);   // the 上联, hung on the right, is read first
        });
        var columns = _samples.Where(s => s.Name.StartsWith("v-col-")).ToList();
        Assert.True(columns.Count >= 2);
        Assert.All(columns, column => Assert.True(column.Lines is [{ Vertical: true }]));
        Assert.All(_samples.Where(s => !s.Name.Contains("-couplet-") && !s.Name.Contains("-col-")), s => Assert.All(s.Lines, l => Assert.False(l.Vertical)));
    }

    [Fact]
    public void Every_character_drawn_comes_from_the_cards_own_font()
    {
        using var text = new TextRenderer();
        foreach (var sample in _samples)
        {
            var style = sample.Name.Contains("-kai-") ? FontStyle.Kai : FontStyle.Sans;
            string expected = style == FontStyle.Kai ? "AR PL UKai CN" : "WenQuanYi Micro Hei";
            foreach (var rune in sample.Lines.SelectMany(l => l.Text.EnumerateRunes()).Where(r => !Rune.IsWhiteSpace(r)))
                Assert.True(text.FamilyFor(rune, style) == expected, $"{sample.Name}: {rune} is not in {expected}");
        }
    }

    [Fact]
    public void Red_cards_are_red_with_gold_text()
    {
        var red = _samples.First(s => s.Name.StartsWith("h-red-"));
        var image = red.Image;
        var corner = image.Row(5).Slice(5 * 3, 3).ToArray();
        Assert.InRange(corner[0], 170, 230);
        Assert.True(corner[1] < 50 && corner[2] < 60, $"corner {string.Join(",", corner)} is not card red");
        bool gold = false;
        for (int y = 0; y < image.Height && !gold; y++)
            for (int x = 0; x < image.Width && !gold; x++)
                gold = image.Row(y)[x * 3] > 220 && image.Row(y)[x * 3 + 1] > 180 && image.Row(y)[x * 3 + 2] < 120;
        Assert.True(gold, "no gold ink on the red card");
    }

    private static List<string> Fingerprints(IEnumerable<OcrSample> samples)
    {
        var prints = new List<string>();
        foreach (var sample in samples)
            using (sample)
                prints.Add(Fingerprint(sample));
        return prints;
    }

    private static string Fingerprint(OcrSample sample)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{sample.Name}|{sample.Kind}|{sample.JpegQuality}|{string.Join("|", sample.Lines)}|{sample.Image.Width}x{sample.Image.Height}"));
        for (int y = 0; y < sample.Image.Height; y++) hash.AppendData(sample.Image.Row(y));
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
