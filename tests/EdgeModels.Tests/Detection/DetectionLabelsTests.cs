using Edge.Models.Detection;
using Edge.Models.Tests.Onnx;

namespace Edge.Models.Tests.Detection;

public class DetectionLabelsTests
{
    [Fact]
    public void Ultralytics_names_metadata_is_read_as_a_python_dict()
    {
        Assert.Equal(["person", "bicycle", "traffic light"], DetectionLabels.Parse("{0: 'person', 1: 'bicycle', 2: 'traffic light'}"));
    }

    [Fact]
    public void Double_quotes_apostrophes_escapes_unordered_and_missing_ids_are_handled()
    {
        Assert.Equal(["class_0", "it's", "a 'b'", "x\\y"], DetectionLabels.Parse("{3: 'x\\\\y', 1: \"it's\", 2: 'a \\'b\\''}"));
    }

    [Fact]
    public void Lists_and_json_maps_are_read_too()
    {
        Assert.Equal(["a", "b"], DetectionLabels.Parse("['a', 'b']"));
        Assert.Equal(["a", "b"], DetectionLabels.Parse("[\"a\",\"b\",]"));
        Assert.Equal(["a", "b"], DetectionLabels.Parse("{\"0\": \"a\", \"1\": \"b\"}"));
        Assert.Empty(DetectionLabels.Parse("{}"));
    }

    [Theory]
    [InlineData("person, bicycle")]
    [InlineData("{0: 'person'")]
    [InlineData("{0: person}")]
    [InlineData("{0: 'a', 0: 'b'}")]
    [InlineData("{x: 'a'}")]
    public void Text_that_is_not_a_name_map_is_rejected_with_the_position(string text)
    {
        var e = Assert.Throws<FormatException>(() => DetectionLabels.Parse(text));
        Assert.Contains("character", e.Message);
    }

    [Fact]
    public void Ids_without_a_name_are_called_class_n_and_the_name_is_made_once()
    {
        var labels = new DetectionLabels(["scratch"]);

        Assert.Equal("scratch", labels[0]);
        Assert.Equal("class_4", labels[4]);
        Assert.Same(labels[4], labels[4]);
        Assert.Equal(1, labels.Count);
    }

    [Fact]
    public void A_labels_file_has_one_name_per_line()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("labels.txt"), "scratch\r\ndent \n\n");

        Assert.Equal(["scratch", "dent"], DetectionLabels.Load(dir.File("labels.txt")).Names);
    }

    [Fact]
    public void A_missing_labels_file_is_named()
    {
        using var dir = new TempDirectory();

        var e = Assert.Throws<FileNotFoundException>(() => DetectionLabels.Load(dir.File("labels.txt")));

        Assert.Equal($"labels file {dir.File("labels.txt")} not found", e.Message);
    }

    [Fact]
    public void Metadata_without_names_gives_no_labels()
    {
        Assert.Null(DetectionLabels.FromMetadata(new Dictionary<string, string> { ["stride"] = "32" }));
        Assert.Equal(["a"], DetectionLabels.FromMetadata(new Dictionary<string, string> { ["names"] = "{0: 'a'}" })!.Names);
    }
}
