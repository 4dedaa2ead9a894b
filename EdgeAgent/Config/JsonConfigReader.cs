using System.Globalization;
using System.Text.Json;

namespace Edge.Agent.Config;

/// <summary>
/// Reads one JSON object of the config with precise errors: every key is known (a typo is an error
/// listing the allowed keys), every value is checked against what is allowed, and every message
/// carries the key's full path (<c>pipelines[0].source.fps</c>).
/// </summary>
internal sealed partial class JsonConfigReader
{
    private readonly JsonElement _element;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public JsonConfigReader(JsonElement element, string path, string file)
    {
        File = file;
        Path = path;
        if (element.ValueKind != JsonValueKind.Object)
            throw Error(path, element, "must be an object");
        _element = element;
    }

    public string Path { get; }
    public string File { get; }

    private string Key(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    public ConfigException Error(string key, JsonElement value, string rule) =>
        new($"{File}: {key} = {Show(value)}: {rule}");

    public ConfigException Error(string key, string rule) => new($"{File}: {key}: {rule}");

    private static string Show(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => JsonSerializer.Serialize(v.GetString()),
        JsonValueKind.Object => "{…}",
        JsonValueKind.Array => "[…]",
        _ => v.GetRawText(),
    };

    private bool TryGet(string name, out JsonElement value)
    {
        _read.Add(name);
        return _element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    public bool Has(string name) => _element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public string? String(string name, string? fallback = null, bool required = false)
    {
        if (!TryGet(name, out var v))
        {
            if (required) throw Error(Key(name), "is required");
            return fallback;
        }
        if (v.ValueKind != JsonValueKind.String) throw Error(Key(name), v, "must be a string");
        var s = v.GetString()!;
        if (required && s.Length == 0) throw Error(Key(name), v, "must not be empty");
        return s;
    }

    public string Choice(string name, string fallback, params string[] allowed)
    {
        var s = String(name, fallback)!;
        if (!allowed.Contains(s, StringComparer.Ordinal))
            throw Error(Key(name), JsonDocument.Parse(JsonSerializer.Serialize(s)).RootElement, $"must be one of {string.Join(", ", allowed)}");
        return s;
    }

    public int Int(string name, int fallback, int min, int max)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n))
            throw Error(Key(name), v, $"must be a whole number in {min}..{max}");
        if (n < min || n > max) throw Error(Key(name), v, $"must be in {min}..{max}");
        return n;
    }

    public double Double(string name, double fallback, double min, double max)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number) throw Error(Key(name), v, $"must be a number in {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}");
        double d = v.GetDouble();
        if (d < min || d > max) throw Error(Key(name), v, $"must be in {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}");
        return d;
    }

    public bool Bool(string name, bool fallback)
    {
        if (!TryGet(name, out var v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(Key(name), v, "must be true or false"),
        };
    }

    /// <summary>A file or folder path; relative paths are taken from the config file's folder.</summary>
    public string? PathValue(string name, string? fallback = null, bool required = false)
    {
        var s = String(name, fallback, required);
        if (s is null) return null;
        if (s.Length == 0) throw Error(Key(name), "must not be empty");
        return System.IO.Path.IsPathRooted(s) ? s : System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(File) ?? ".", s));
    }

    public JsonConfigReader? Object(string name, bool required = false)
    {
        if (!TryGet(name, out var v))
        {
            if (required) throw Error(Key(name), "is required");
            return null;
        }
        return new JsonConfigReader(v, Key(name), File);
    }

    public IEnumerable<JsonConfigReader> Objects(string name, bool required = false, int minCount = 0)
    {
        if (!TryGet(name, out var v))
        {
            if (required) throw Error(Key(name), "is required");
            yield break;
        }
        if (v.ValueKind != JsonValueKind.Array) throw Error(Key(name), v, "must be an array");
        if (v.GetArrayLength() < minCount) throw Error(Key(name), v, $"needs at least {minCount} entr{(minCount == 1 ? "y" : "ies")}");
        int i = 0;
        foreach (var item in v.EnumerateArray())
            yield return new JsonConfigReader(item, $"{Key(name)}[{i++}]", File);
    }

    /// <summary>Fails on a key nobody asked about, listing the keys this object allows.</summary>
    public void RejectUnknown()
    {
        foreach (var p in _element.EnumerateObject())
            if (!_read.Contains(p.Name))
                throw Error(Key(p.Name), $"unknown key (allowed here: {string.Join(", ", _read.Order(StringComparer.Ordinal))})");
    }
}
