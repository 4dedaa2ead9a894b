using Edge.Models.Detection;
using Edge.Models.Tests.Onnx;

namespace Edge.Models.Tests.Detection;

/// <summary>labels.json of a labelled set (the held-out parts, make_heldout.py's format): read, and refused by what is wrong.</summary>
public class LabelledImageSetTests
{
    private const string Good = """
        {"classes": ["scratch", "dent"], "images": [
          {"file": "0000.jpg", "width": 320, "height": 240, "objects": [{"class": "dent", "box": [1, 2, 30, 40]}]},
          {"file": "0001.jpg", "width": 320, "height": 240, "objects": []}]}
        """;

    [Fact]
    public void A_labels_file_gives_each_image_its_boxes()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("labels.json"), Good);

        var set = LabelledImageSet.Load(dir.Path);

        Assert.Equal(["scratch", "dent"], set.Classes);
        Assert.Equal(2, set.Images.Count);
        Assert.Equal(new LabelledBox(1, 1, 2, 30, 40), Assert.Single(set.Images[0].Boxes));
        Assert.Empty(set.Images[1].Boxes);
    }

    [Theory]
    [InlineData("{\"classes\": [\"scratch\"], \"images\": [", "labels.json: not valid JSON (")]
    [InlineData("[1, 2]", "labels.json: expected an object with \"classes\" and \"images\", found Array")]
    [InlineData("{\"classes\": [\"scratch\"]}", "labels.json: the top level has no \"images\"")]
    [InlineData("{\"classes\": [\"scratch\"], \"images\": [{\"file\": \"a.jpg\", \"width\": 9, \"height\": 9}]}", "labels.json: images[0] (a.jpg) has no \"objects\"")]
    [InlineData("{\"classes\": [\"scratch\"], \"images\": [{\"file\": \"a.jpg\", \"width\": \"wide\", \"height\": 9, \"objects\": []}]}", "labels.json: images[0] (a.jpg): ")]
    [InlineData("{\"classes\": [\"scratch\"], \"images\": [{\"file\": \"a.jpg\", \"width\": 9, \"height\": 9, \"objects\": [{\"class\": \"crack\", \"box\": [0, 0, 1, 1]}]}]}", "labels.json: images[0] (a.jpg): class 'crack' is not one of scratch")]
    [InlineData("{\"classes\": [\"scratch\"], \"images\": [{\"file\": \"a.jpg\", \"width\": 9, \"height\": 9, \"objects\": [{\"class\": \"scratch\", \"box\": [0, 0, 1]}]}]}", "labels.json: images[0] (a.jpg): a box is [x1, y1, x2, y2], found [0, 0, 1]")]
    public void A_bad_labels_file_is_refused_naming_the_file_and_the_entry(string json, string expected)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("labels.json"), json);

        var e = Assert.Throws<InvalidDataException>(() => LabelledImageSet.Load(dir.Path));

        Assert.Contains(expected, e.Message);
        Assert.StartsWith(dir.File("labels.json"), e.Message);
    }
}
