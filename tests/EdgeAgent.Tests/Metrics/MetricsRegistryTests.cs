using Edge.Agent.Metrics;
using Edge.Models.Tests.Support;

namespace Edge.Agent.Tests.Metrics;

public class MetricsRegistryTests
{
    [Fact]
    public void Counters_gauges_and_histograms_render_in_prometheus_text_format()
    {
        var m = new MetricsRegistry();
        var frames = m.Counter("edge_frames_total", "Frames captured.", ("pipeline", "cards"));
        var depth = m.Gauge("edge_outbox_depth", "Messages waiting.");
        var latency = m.Histogram("edge_stage_seconds", "Stage latency.", [0.01, 0.1], ("stage", "ocr"));
        m.GaugeFunc("edge_up", "Always 1.", () => 1);
        frames.Inc(); frames.Inc(2);
        depth.Set(42);
        latency.Observe(0.005); latency.Observe(0.05); latency.Observe(3);

        var text = m.Render();
        Assert.Contains("# HELP edge_frames_total Frames captured.\n# TYPE edge_frames_total counter\nedge_frames_total{pipeline=\"cards\"} 3\n", text);
        Assert.Contains("edge_outbox_depth 42\n", text);
        Assert.Contains("edge_stage_seconds_bucket{stage=\"ocr\",le=\"0.01\"} 1\n", text);
        Assert.Contains("edge_stage_seconds_bucket{stage=\"ocr\",le=\"0.1\"} 2\n", text);
        Assert.Contains("edge_stage_seconds_bucket{stage=\"ocr\",le=\"+Inf\"} 3\n", text);
        Assert.Contains("edge_stage_seconds_count{stage=\"ocr\"} 3\n", text);
        Assert.Contains("edge_stage_seconds_sum{stage=\"ocr\"} 3.055\n", text);
        Assert.Contains("edge_up 1\n", text);
    }

    [Fact]
    public void Label_values_are_escaped_and_duplicate_series_are_refused()
    {
        var m = new MetricsRegistry();
        m.Counter("c", "x", ("name", "a\"b\\c\nd"));
        Assert.Contains("c{name=\"a\\\"b\\\\c\\nd\"} 0", m.Render());
        Assert.Throws<InvalidOperationException>(() => m.Counter("c", "x", ("name", "a\"b\\c\nd")));
        Assert.Throws<InvalidOperationException>(() => m.Gauge("c", "x"));
    }

    [Fact]
    public void Updating_a_series_allocates_nothing()
    {
        var m = new MetricsRegistry();
        var c = m.Counter("c", "x");
        var h = m.Histogram("h", "x");
        int i = 0;
        var allocations = Allocations.SteadyState(() => { c.Inc(); h.Observe(i++ * 0.001); }, callsPerWindow: 200);
        Assert.True(allocations.Bytes == 0, allocations.ToString());
    }

    [Fact]
    public void Removing_a_pipeline_drops_its_series()
    {
        var m = new MetricsRegistry();
        m.Counter("f", "x", ("pipeline", "a"));
        m.Counter("f", "x", ("pipeline", "b"));
        m.RemoveLabelled("pipeline", "a");
        var text = m.Render();
        Assert.DoesNotContain("pipeline=\"a\"", text);
        Assert.Contains("pipeline=\"b\"", text);
    }
}
