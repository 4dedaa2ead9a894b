using System.Globalization;
using System.Text;

namespace Edge.Agent.Metrics;

/// <summary>
/// Counters, gauges and histograms rendered in the Prometheus text exposition format (version 0.0.4).
/// Each series is created once, with its label values fixed, and updated without locks or allocation.
/// </summary>
public sealed class MetricsRegistry
{
    private readonly object _gate = new();
    private readonly List<Family> _families = new();

    private sealed class Family(string name, string help, string type)
    {
        public string Name { get; } = name;
        public string Help { get; } = help;
        public string Type { get; } = type;
        public List<Series> Series { get; } = new();
    }

    public abstract class Series
    {
        internal string Labels = "";
        internal abstract void Render(StringBuilder sb, string name);
    }

    public Metrics.Counter Counter(string name, string help, params (string Key, string Value)[] labels) => Add(name, help, "counter", labels, new Metrics.Counter());
    public Metrics.Gauge Gauge(string name, string help, params (string Key, string Value)[] labels) => Add(name, help, "gauge", labels, new Metrics.Gauge());

    /// <summary>A gauge read when scraped (queue depth, RSS, connection state).</summary>
    public void GaugeFunc(string name, string help, Func<double> read, params (string Key, string Value)[] labels) =>
        Add(name, help, "gauge", labels, new FuncGauge(read));

    /// <summary>A counter read when scraped from a total kept elsewhere (a ledger).</summary>
    public void CounterFunc(string name, string help, Func<double> read, params (string Key, string Value)[] labels) =>
        Add(name, help, "counter", labels, new FuncGauge(read));

    public Metrics.Histogram Histogram(string name, string help, double[]? buckets = null, params (string Key, string Value)[] labels) =>
        Add(name, help, "histogram", labels, new Metrics.Histogram(buckets ?? Metrics.Histogram.LatencyBuckets));

    private T Add<T>(string name, string help, string type, (string Key, string Value)[] labels, T series) where T : Series
    {
        series.Labels = labels.Length == 0 ? "" : string.Join(',', labels.Select(l => $"{l.Key}=\"{Escape(l.Value)}\""));
        lock (_gate)
        {
            var family = _families.FirstOrDefault(f => f.Name == name);
            if (family is null) _families.Add(family = new Family(name, help, type));
            else if (family.Type != type) throw new InvalidOperationException($"metric {name} is a {family.Type}, not a {type}");
            if (family.Series.Any(s => s.Labels == series.Labels)) throw new InvalidOperationException($"metric {name}{{{series.Labels}}} exists already");
            family.Series.Add(series);
        }
        return series;
    }

    /// <summary>Removes every series whose labels include this pair (a pipeline that was removed).</summary>
    public void RemoveLabelled(string key, string value)
    {
        var needle = $"{key}=\"{Escape(value)}\"";
        lock (_gate)
            foreach (var f in _families) f.Series.RemoveAll(s => s.Labels.Split(',').Contains(needle));
    }

    public string Render()
    {
        var sb = new StringBuilder(4096);
        lock (_gate)
        {
            foreach (var f in _families)
            {
                if (f.Series.Count == 0) continue;
                sb.Append("# HELP ").Append(f.Name).Append(' ').Append(f.Help.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
                sb.Append("# TYPE ").Append(f.Name).Append(' ').Append(f.Type).Append('\n');
                foreach (var s in f.Series) s.Render(sb, f.Name);
            }
        }
        return sb.ToString();
    }

    internal static string Escape(string v) => v.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    internal static string Format(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    internal static void Line(StringBuilder sb, string name, string labels, double value)
    {
        sb.Append(name);
        if (labels.Length > 0) sb.Append('{').Append(labels).Append('}');
        sb.Append(' ').Append(Format(value)).Append('\n');
    }
}

public sealed class Counter : MetricsRegistry.Series
{
    private long _value;
    public void Inc(long by = 1) => Interlocked.Add(ref _value, by);
    public long Value => Interlocked.Read(ref _value);
    internal override void Render(StringBuilder sb, string name) => MetricsRegistry.Line(sb, name, Labels, Value);
}

public sealed class Gauge : MetricsRegistry.Series
{
    private long _bits;
    public void Set(double v) => Interlocked.Exchange(ref _bits, BitConverter.DoubleToInt64Bits(v));
    public double Value => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _bits));
    internal override void Render(StringBuilder sb, string name) => MetricsRegistry.Line(sb, name, Labels, Value);
}

internal sealed class FuncGauge(Func<double> read) : MetricsRegistry.Series
{
    internal override void Render(StringBuilder sb, string name)
    {
        double v;
        try { v = read(); } catch (Exception) { v = double.NaN; }
        MetricsRegistry.Line(sb, name, Labels, v);
    }
}

/// <summary>Cumulative buckets of observed values (seconds for latencies).</summary>
public sealed class Histogram : MetricsRegistry.Series
{
    public static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly double[] _bounds;
    private readonly long[] _counts;
    private long _count;
    private long _sumMicros;

    public Histogram(double[] bounds)
    {
        if (bounds.Length == 0 || bounds.Zip(bounds.Skip(1)).Any(p => p.First >= p.Second))
            throw new ArgumentException("histogram buckets must be increasing", nameof(bounds));
        _bounds = bounds;
        _counts = new long[bounds.Length];
    }

    public void Observe(double value)
    {
        int i = 0;
        while (i < _bounds.Length && value > _bounds[i]) i++;
        if (i < _counts.Length) Interlocked.Increment(ref _counts[i]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumMicros, (long)(value * 1e6));
    }

    public long Count => Interlocked.Read(ref _count);
    public double Sum => Interlocked.Read(ref _sumMicros) / 1e6;

    internal override void Render(StringBuilder sb, string name)
    {
        long cumulative = 0;
        var prefix = Labels.Length > 0 ? Labels + "," : "";
        for (int i = 0; i < _bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _counts[i]);
            MetricsRegistry.Line(sb, name + "_bucket", $"{prefix}le=\"{MetricsRegistry.Format(_bounds[i])}\"", cumulative);
        }
        MetricsRegistry.Line(sb, name + "_bucket", $"{prefix}le=\"+Inf\"", Count);
        MetricsRegistry.Line(sb, name + "_sum", Labels, Sum);
        MetricsRegistry.Line(sb, name + "_count", Labels, Count);
    }
}
