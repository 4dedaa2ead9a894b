namespace Edge.Models.Ocr;

/// <summary>
/// The recogniser's classes: index 0 is the CTC blank, then one dictionary line each, then a space
/// (PaddleOCR's use_space_char). ppocr_keys_v1.txt has 6623 lines, so 6625 classes.
/// </summary>
public sealed class CharacterDictionary
{
    private readonly string[] _classes;

    private CharacterDictionary(string[] classes) => _classes = classes;

    public int ClassCount => _classes.Length;

    public string this[int classIndex] => _classes[classIndex];

    public static CharacterDictionary Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"character dictionary not found: {path}", path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"character dictionary {path} is empty");
        var classes = new string[lines.Length + 2];
        classes[0] = "";
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0) throw new InvalidDataException($"character dictionary {path}: line {i + 1} is empty");
            classes[i + 1] = line;
        }
        classes[^1] = " ";
        return new CharacterDictionary(classes);
    }
}
