using System.Globalization;
using System.Text.Json;

namespace Edge.Agent.Config;

// Arrays and maps of plain values (the inspection section's classes, regions, shifts, per-class scores).
internal sealed partial class JsonConfigReader
{
    /// <summary>An array of non-empty strings; null when the key is absent.</summary>
    public IReadOnlyList<string>? Strings(string name, int minCount = 0)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array) throw Error(Key(name), v, "must be an array of strings");
        if (v.GetArrayLength() < minCount) throw Error(Key(name), v, $"needs at least {minCount} entr{(minCount == 1 ? "y" : "ies")}");
        var list = new List<string>(v.GetArrayLength());
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } s)
                throw Error($"{Key(name)}[{i}]", item, "must be a non-empty string");
            list.Add(s);
            i++;
        }
        return list;
    }

    /// <summary>An array of number arrays of exactly <paramref name="length"/> entries each; null when the key is absent.</summary>
    public IReadOnlyList<double[]>? NumberTuples(string name, int length, string shape)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array) throw Error(Key(name), v, $"must be an array of {shape}");
        var list = new List<double[]>(v.GetArrayLength());
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != length || item.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number))
                throw Error($"{Key(name)}[{i}]", item, $"must be {shape}");
            list.Add(item.EnumerateArray().Select(x => x.GetDouble()).ToArray());
            i++;
        }
        return list;
    }

    /// <summary>An object mapping names to numbers in <paramref name="min"/>..<paramref name="max"/>; null when the key is absent.</summary>
    public IReadOnlyDictionary<string, double>? NumberMap(string name, double min, double max)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Object) throw Error(Key(name), v, "must be an object of name: number");
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        string range = $"{min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}";
        foreach (var p in v.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number) throw Error($"{Key(name)}.{p.Name}", p.Value, $"must be a number in {range}");
            double d = p.Value.GetDouble();
            if (d < min || d > max) throw Error($"{Key(name)}.{p.Name}", p.Value, $"must be in {range}");
            map[p.Name] = d;
        }
        return map;
    }

    /// <summary>The full key path of <paramref name="name"/> in this object (for errors raised by the caller).</summary>
    public string KeyOf(string name) => Key(name);
}
