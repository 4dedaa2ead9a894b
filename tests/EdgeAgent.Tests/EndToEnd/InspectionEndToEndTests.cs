using System.Net;
using System.Net.Http;
using System.Text.Json;
using Edge.Agent.Cli;
using Edge.Agent.Tests.Support;

namespace Edge.Agent.Tests.EndToEnd;

/// <summary>The real <c>edge run</c> with an "inspection" section.</summary>
[Collection("agent end to end")]
public sealed class InspectionEndToEndTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-inspection-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_agent_whose_gpio_chip_is_missing_stays_up_and_healthz_names_the_chip()
    {
        var heldout = Path.Combine(Path.GetDirectoryName(DetectCommand.ResolveModel("defect", DetectCommand.SearchRoots()))!, "heldout");
        var parts = Directory.CreateDirectory(Path.Combine(_dir, "parts")).FullName;
        foreach (var f in Directory.GetFiles(heldout, "*.jpg").Order(StringComparer.Ordinal).Take(2)) File.Copy(f, Path.Combine(parts, Path.GetFileName(f)));
        int httpPort = MosquittoBroker.FreePort();
        using var broker = MosquittoBroker.Start(null);
        const string Chip = "/dev/gpiochip-e2e-missing";
        var config = Path.Combine(_dir, "agent.json");
        File.WriteAllText(config, $$"""
            { "device": { "id": "press-07" },
              "mqtt": { "host": "127.0.0.1", "port": {{broker.Port}} },
              "outbox": { "path": "state/outbox.db" },
              "http": { "port": {{httpPort}} },
              "inspection": { "lines": [ { "name": "line1", "model": "defect",
                  "camera": { "type": "images", "path": "parts" },
                  "gpio": { "chip": "{{Chip}}", "photoEye": 17, "reject": 27 } } ] } }
            """);

        using var agent = new AgentProcess(config);
        await agent.WaitForOutputAsync("ready in", Long);
        await agent.WaitForOutputAsync($"cannot open GPIO {Chip}", Long);
        // The second attempt comes after the backoff: the agent retries instead of giving up.
        await agent.WaitForOutputAsync("Retrying in 2 s", Long);

        using var http = new HttpClient();
        var health = await http.GetAsync($"http://127.0.0.1:{httpPort}/healthz");
        var reasons = await health.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains($"inspection line1: GPIO {Chip}", reasons);
        var status = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{httpPort}/api/status")).RootElement;
        var line = status.GetProperty("stats").GetProperty("inspection").GetProperty("line1");
        Assert.Equal("waiting_for_devices", line.GetProperty("state").GetString());
        Assert.True(line.GetProperty("device_retries").GetInt32() >= 2);
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{httpPort}/metrics");
        Assert.Contains("edge_inspection_parts_total{line=\"line1\"} 0", metrics);

        Assert.Equal(0, agent.Stop(TimeSpan.FromSeconds(20)));
    }
}
