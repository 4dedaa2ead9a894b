using System.Text.Json;
using Edge.Models.Imaging;

namespace Edge.Agent.Tests.Inspection;

/// <summary>A crafted held-out set for the simulator's tests: the shape of <c>models/defect/heldout</c>, trivially small.</summary>
internal static class CraftedParts
{
    /// <summary>
    /// Writes four labelled 320×320 grey parts (0000.jpg … 0003.jpg, grey 0, 60, 120, 180) and their labels.json to
    /// <c><paramref name="dir"/>/heldout</c>; 0000 and 0002 hold a scratch at (128,128)-(192,192). Returns the folder.
    /// </summary>
    public static string WriteHeldout(string dir)
    {
        var heldout = Directory.CreateDirectory(Path.Combine(dir, "heldout")).FullName;
        var entries = new List<object>();
        for (int i = 0; i < 4; i++)
        {
            using var image = new ImageBuffer(320, 320, PixelFormat.Rgb24);
            image.Data.Fill((byte)(60 * i));
            ImageCodec.Save(Path.Combine(heldout, $"{i:D4}.jpg"), image);
            var objects = i % 2 == 0 ? new object[] { new { @class = "scratch", box = new[] { 128, 128, 192, 192 } } } : [];
            entries.Add(new { file = $"{i:D4}.jpg", width = 320, height = 320, objects });
        }
        File.WriteAllText(Path.Combine(heldout, "labels.json"),
            JsonSerializer.Serialize(new { classes = new[] { "scratch", "dent", "spot", "missing_hole" }, images = entries }));
        return heldout;
    }
}
