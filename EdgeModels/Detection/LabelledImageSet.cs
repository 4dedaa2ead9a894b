using System.Text.Json;

namespace Edge.Models.Detection;

/// <summary>One labelled image: file name (relative to the set's folder), size and ground-truth boxes.</summary>
public sealed record LabelledImage(string File, int Width, int Height, IReadOnlyList<LabelledBox> Boxes);

/// <summary>
/// A folder of images with a <c>labels.json</c> (the defect model's held-out set):
/// <c>{"classes": [...], "images": [{"file", "width", "height", "objects": [{"class": NAME, "box": [x1,y1,x2,y2]}]}]}</c>.
/// </summary>
public sealed class LabelledImageSet
{
    private LabelledImageSet(string folder, IReadOnlyList<string> classes, IReadOnlyList<LabelledImage> images)
    {
        Folder = folder;
        Classes = classes;
        Images = images;
    }

    public string Folder { get; }
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<LabelledImage> Images { get; }

    public string PathOf(LabelledImage image) => Path.Combine(Folder, image.File);

    /// <summary>Reads <c>labels.json</c> in <paramref name="folder"/>; class names map to ids by <paramref name="classes"/> (default: the file's own list).</summary>
    /// <exception cref="FileNotFoundException">no labels.json.</exception>
    /// <exception cref="InvalidDataException">the file does not have the shape above, or names an unknown class.</exception>
    public static LabelledImageSet Load(string folder, IReadOnlyList<string>? classes = null)
    {
        var path = Path.Combine(folder, "labels.json");
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (a labelled set needs labels.json beside its images)", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected an object with \"classes\" and \"images\", found {root.ValueKind}");
            string where = "classes";
            try
            {
                classes ??= root.TryGetProperty("classes", out var cl) ? [.. cl.EnumerateArray().Select(c => c.GetString() ?? "")]
                    : throw new InvalidDataException($"{path}: no \"classes\" list, and no class names given");
                var images = new List<LabelledImage>();
                where = "the top level";
                int index = 0;
                foreach (var e in Need(root, "images", path, where).EnumerateArray())
                {
                    where = $"images[{index++}]";
                    var file = Need(e, "file", path, where).GetString() ?? "";
                    if (file.Length > 0) where += $" ({file})";
                    var boxes = new List<LabelledBox>();
                    foreach (var o in Need(e, "objects", path, where).EnumerateArray())
                    {
                        var name = Need(o, "class", path, where + " object").GetString();
                        int id = -1;
                        for (int i = 0; i < classes.Count; i++) if (classes[i] == name) { id = i; break; }
                        if (id < 0) throw new InvalidDataException($"{path}: {where}: class '{name}' is not one of {string.Join(", ", classes)}");
                        var b = Need(o, "box", path, where + " object");
                        if (b.ValueKind != JsonValueKind.Array || b.GetArrayLength() != 4)
                            throw new InvalidDataException($"{path}: {where}: a box is [x1, y1, x2, y2], found {b.GetRawText()}");
                        boxes.Add(new LabelledBox(id, b[0].GetSingle(), b[1].GetSingle(), b[2].GetSingle(), b[3].GetSingle()));
                    }
                    images.Add(new LabelledImage(file, Need(e, "width", path, where).GetInt32(), Need(e, "height", path, where).GetInt32(), boxes));
                }
                return new LabelledImageSet(folder, classes, images);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                // A value of the wrong type (a number where a name belongs, a name where a number does).
                throw new InvalidDataException($"{path}: {where}: {e.Message}", e);
            }
        }
    }

    private static JsonElement Need(JsonElement e, string name, string path, string where) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v
            : throw new InvalidDataException($"{path}: {where} has no \"{name}\"");
}
