using System.Text;

namespace Edge.Models.Detection;

/// <summary>
/// Class names by id. Read from a model's <c>names</c> metadata (Ultralytics writes a Python dict literal,
/// <c>{0: 'person', 1: 'bicycle'}</c>; a JSON or Python list also works), or from a labels file (one per
/// line). Ids without a name are called <c>class_N</c>.
/// </summary>
public sealed class DetectionLabels
{
    private string[] _names;

    public DetectionLabels(IReadOnlyList<string> names)
    {
        _names = names.ToArray();
        Count = _names.Length;
    }

    public static DetectionLabels Empty { get; } = new([]);

    /// <summary>How many ids have a name (the highest named id + 1).</summary>
    public int Count { get; }

    public IReadOnlyList<string> Names => new ArraySegment<string>(_names, 0, Count);

    /// <summary>The name of <paramref name="classId"/>; <c>class_N</c> strings are made once and kept, so asking again allocates nothing.</summary>
    public string this[int classId]
    {
        get
        {
            if ((uint)classId < (uint)_names.Length && _names[classId] is { } name) return name;
            if (classId < 0 || classId > 1_000_000) return "class_" + classId;
            if (classId >= _names.Length)
            {
                var grown = new string[classId + 1];
                _names.CopyTo(grown, 0);
                _names = grown;
            }
            return _names[classId] = "class_" + classId;
        }
    }

    /// <summary>Reads a labels file: one name per line, line N naming class N; blank trailing lines are ignored.</summary>
    /// <exception cref="FileNotFoundException">there is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">it names no class.</exception>
    public static DetectionLabels Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"labels file {path} not found", path);
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0) throw new InvalidDataException($"labels file {path} has no labels (expected one per line)");
        return new DetectionLabels(lines);
    }

    /// <summary>The names in a model's metadata (<c>names</c>, else <c>labels</c>), or null when there are none.</summary>
    public static DetectionLabels? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var key in new[] { "names", "labels", "classes" })
            if (metadata.TryGetValue(key, out var text) && !string.IsNullOrWhiteSpace(text))
                return new DetectionLabels(Parse(text));
        return null;
    }

    /// <summary>
    /// Parses <c>{0: 'person', 1: "bicycle"}</c> (ids may come in any order and skip numbers),
    /// <c>['person', 'bicycle']</c> or <c>["person","bicycle"]</c>. Throws <see cref="FormatException"/> on anything else.
    /// </summary>
    public static string[] Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new LiteralReader(text);
        reader.SkipSpace();
        if (reader.TryTake('{'))
        {
            var byId = new SortedDictionary<int, string>();
            reader.SkipSpace();
            while (!reader.TryTake('}'))
            {
                int id = reader.ReadInt();
                reader.Expect(':');
                var name = reader.ReadString();
                if (!byId.TryAdd(id, name)) throw reader.Error($"class {id} is named twice");
                reader.SkipSeparator('}');
            }
            reader.ExpectEnd();
            if (byId.Count == 0) return [];
            var names = new string[byId.Keys.Max() + 1];
            foreach (var (id, name) in byId) names[id] = name;
            for (int i = 0; i < names.Length; i++) names[i] ??= "class_" + i;
            return names;
        }
        if (reader.TryTake('['))
        {
            var names = new List<string>();
            reader.SkipSpace();
            while (!reader.TryTake(']'))
            {
                names.Add(reader.ReadString());
                reader.SkipSeparator(']');
            }
            reader.ExpectEnd();
            return names.ToArray();
        }
        throw reader.Error("expected a dict {0: 'name', ...} or a list ['name', ...]");
    }

    /// <summary>Just enough of a Python/JSON literal reader for class-name maps.</summary>
    private ref struct LiteralReader(string text)
    {
        private int _at;

        public void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        public bool TryTake(char c)
        {
            SkipSpace();
            if (_at < text.Length && text[_at] == c) { _at++; return true; }
            return false;
        }

        public void Expect(char c)
        {
            if (!TryTake(c)) throw Error($"expected '{c}'");
        }

        /// <summary>After an item: a comma (a trailing one is fine) or the closing bracket, which is left for the loop.</summary>
        public void SkipSeparator(char close)
        {
            if (TryTake(',')) return;
            SkipSpace();
            if (_at < text.Length && text[_at] == close) return;
            throw Error($"expected ',' or '{close}'");
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_at != text.Length) throw Error("unexpected text after the closing bracket");
        }

        public int ReadInt()
        {
            SkipSpace();
            int start = _at;
            // Ids may be quoted when the map went through JSON: {"0": "person"}.
            if (_at < text.Length && text[_at] is '\'' or '"')
            {
                var quoted = ReadString();
                if (int.TryParse(quoted, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int q)) return q;
                _at = start;
                throw Error($"class id '{quoted}' is not a whole number");
            }
            while (_at < text.Length && char.IsAsciiDigit(text[_at])) _at++;
            if (_at == start || !int.TryParse(text.AsSpan(start, _at - start), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id) || id > 1_000_000)
                throw Error("expected a class id (a whole number up to 1000000)");
            return id;
        }

        public string ReadString()
        {
            SkipSpace();
            if (_at >= text.Length || text[_at] is not ('\'' or '"')) throw Error("expected a quoted name");
            char quote = text[_at++];
            var value = new StringBuilder();
            while (_at < text.Length && text[_at] != quote)
            {
                char c = text[_at++];
                if (c == '\\' && _at < text.Length)
                {
                    char e = text[_at++];
                    value.Append(e switch { 'n' => '\n', 't' => '\t', _ => e });
                    continue;
                }
                value.Append(c);
            }
            if (_at >= text.Length) throw Error("a name's closing quote is missing");
            _at++;
            return value.ToString();
        }

        public readonly FormatException Error(string what) =>
            new($"cannot read class names at character {_at}: {what} (in \"{(text.Length > 80 ? text[..80] + "…" : text)}\")");
    }
}
