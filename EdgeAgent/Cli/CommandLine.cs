namespace Edge.Agent.Cli;

/// <summary>A usage error: the CLI prints the message and the command's usage, and exits 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Minimal option parsing: <c>--flag</c>, <c>--name value</c>, <c>--name=value</c>, and positional arguments.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = new();

    /// <param name="valued">options that take a value (without the leading dashes)</param>
    public CommandLine(IEnumerable<string> args, params string[] valued)
    {
        var takesValue = new HashSet<string>(valued, StringComparer.Ordinal);
        using var e = args.GetEnumerator();
        bool onlyPositional = false;
        while (e.MoveNext())
        {
            var a = e.Current;
            if (onlyPositional || !a.StartsWith("--", StringComparison.Ordinal) || a == "--")
            {
                if (a == "--" && !onlyPositional) { onlyPositional = true; continue; }
                Positional.Add(a);
                continue;
            }
            var name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            else if (takesValue.Contains(name))
            {
                if (!e.MoveNext()) throw new UsageException($"option --{name} needs a value");
                value = e.Current;
            }
            _options[name] = value;
        }
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var v) && v is null or "true" or "1";
    }

    public string? Value(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    public int Int(string name, int fallback, int min, int max)
    {
        var v = Value(name);
        if (v is null) return fallback;
        if (!int.TryParse(v, out int n) || n < min || n > max)
            throw new UsageException($"--{name} must be a whole number in {min}..{max}, given '{v}'");
        return n;
    }

    public float Float(string name, float fallback, float min, float max)
    {
        var v = Value(name);
        if (v is null) return fallback;
        if (!float.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float f) || f < min || f > max)
            throw new UsageException($"--{name} must be a number in {min}..{max}, given '{v}'");
        return f;
    }

    /// <summary>Fails on any option the command did not ask about (typos should not be ignored).</summary>
    public void RejectUnknown()
    {
        foreach (var name in _options.Keys)
            if (!_read.Contains(name)) throw new UsageException($"unknown option --{name}");
    }
}
