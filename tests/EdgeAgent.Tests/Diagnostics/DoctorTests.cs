using System.Net;
using System.Net.Sockets;
using Edge.Agent.Cli;
using Edge.Agent.Diagnostics;
using Edge.Models.Ocr;

namespace Edge.Agent.Tests.Diagnostics;

public class DoctorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-doctor-test-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_fetched_models_pass_their_hash_check()
    {
        var checks = Doctor.ModelChecks(OcrModelSet.Default).ToList();
        Assert.Equal(4, checks.Count);
        Assert.All(checks, c => Assert.Equal(CheckStatus.Ok, c.Status));
    }

    [Fact]
    public void A_missing_model_fails_and_a_changed_one_warns_each_with_a_fix()
    {
        var real = OcrModelSet.Default;
        File.Copy(real.DetectorPath, Path.Combine(_dir, OcrModelSet.DetectorFile));
        File.Copy(real.DictionaryPath, Path.Combine(_dir, OcrModelSet.DictionaryFile));
        File.AppendAllText(Path.Combine(_dir, OcrModelSet.DictionaryFile), "x\n");
        var checks = Doctor.ModelChecks(OcrModelSet.FromDirectory(_dir)).ToDictionary(c => c.Name);
        Assert.Equal(CheckStatus.Ok, checks[$"model {OcrModelSet.DetectorFile}"].Status);
        Assert.Equal(CheckStatus.Warn, checks[$"model {OcrModelSet.DictionaryFile}"].Status);
        var missing = checks[$"model {OcrModelSet.RecognizerFile}"];
        Assert.Equal(CheckStatus.Fail, missing.Status);
        Assert.Contains("scripts/setup", missing.Fix);
    }

    [Fact]
    public void A_broker_that_listens_passes_and_a_closed_port_fails_naming_it()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.Equal(CheckStatus.Ok, Doctor.BrokerCheck("127.0.0.1", port, TimeSpan.FromSeconds(2)).Status);
        listener.Stop();
        var closed = Doctor.BrokerCheck("127.0.0.1", port, TimeSpan.FromSeconds(2));
        Assert.Equal(CheckStatus.Fail, closed.Status);
        Assert.Contains($"127.0.0.1:{port}", closed.Detail);
        Assert.NotNull(closed.Fix);
    }

    [Fact]
    public void The_doctor_command_prints_each_failure_with_its_fix_and_exits_1()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        Directory.CreateDirectory(Path.Combine(_dir, "samples"));
        var config = Path.Combine(_dir, "agent.json");
        File.WriteAllText(config, $$"""
            { "device": { "id": "kiosk-01" },
              "mqtt": { "port": {{port}}, "tls": { "ca": "ca.pem" } },
              "outbox": { "path": "state/outbox.db" },
              "pipelines": [ { "name": "door", "source": { "type": "camera", "device": "/dev/video97" }, "stages": [ { "type": "ocr" } ], "sinks": [ { "type": "mqtt" } ] } ] }
            """);
        File.WriteAllText(Path.Combine(_dir, "ca.pem"), "not a certificate");
        var stdout = new StringWriter();
        int rc = EdgeCli.Run(["doctor", "--config", config], stdout, new StringWriter());
        var text = stdout.ToString();
        Assert.Equal(1, rc);
        Assert.Contains("ok    onnxruntime", text);
        Assert.Contains("/dev/video97 does not exist", text);
        Assert.Contains($"127.0.0.1:{port}", text);
        Assert.Contains("tls ca", text);
        Assert.Contains("fix: ", text);
        Assert.Contains("checks failed", text);
    }
}
