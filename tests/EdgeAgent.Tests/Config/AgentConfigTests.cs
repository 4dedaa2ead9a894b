using Edge.Agent.Capture;
using Edge.Agent.Config;
using Edge.Agent.Mqtt;

namespace Edge.Agent.Tests.Config;

public class AgentConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-config-test-").FullName;
    private string File => Path.Combine(_dir, "agent.json");

    public AgentConfigTests() => Directory.CreateDirectory(Path.Combine(_dir, "samples"));
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Example = """
        { "device": { "id": "kiosk-01" },
          "mqtt": { "host": "127.0.0.1", "port": 1883, "prefix": "edge" },
          "pipelines": [
            { "name": "cards",
              "source": { "type": "images", "path": "samples", "fps": 5, "loop": false },
              "stages": [ { "type": "ocr" } ],
              "sinks":  [ { "type": "mqtt" } ] } ] }
        """;

    private AgentConfig Parse(string json) => AgentConfig.Parse(json, File);

    private string Error(string json) => Assert.Throws<ConfigException>(() => Parse(json)).Message;

    [Fact]
    public void The_documented_example_loads_with_paths_relative_to_the_config_file()
    {
        System.IO.File.WriteAllText(File, Example);
        var c = AgentConfig.Load(File);
        Assert.Equal("kiosk-01", c.Device.Id);
        Assert.Equal(1883, c.Mqtt!.Port);
        Assert.Equal(MqttProtocol.V5, c.Mqtt.Protocol);
        Assert.Equal("edge-kiosk-01", c.Mqtt.ClientId);
        var p = Assert.Single(c.Pipelines);
        Assert.Equal(SourceType.Images, p.Source.Type);
        Assert.Equal(Path.Combine(_dir, "samples"), p.Source.Path);
        Assert.Equal(5, p.Source.Fps);
        Assert.Equal("ocr", Assert.Single(p.Stages).Type);
        Assert.Equal("mqtt", Assert.Single(p.Sinks).Type);
        Assert.True(c.Http.Enabled);
        Assert.Equal("127.0.0.1", c.Http.Host);
    }

    [Fact]
    public void A_missing_file_says_where_it_looked_and_what_to_do()
    {
        var e = Assert.Throws<ConfigException>(() => AgentConfig.Load(Path.Combine(_dir, "nope.json")));
        Assert.Contains("nope.json", e.Message);
        Assert.Contains("--config", e.Message);
    }

    [Fact]
    public void Malformed_json_names_the_line()
    {
        var e = Error("{ \"device\": { \"id\": \"k\" },\n  \"pipelines\": [ }");
        Assert.Contains("not valid JSON at line 2", e);
    }

    [Theory]
    [InlineData("\"fps\": 5", "\"fps\": -5", "pipelines[0].source.fps = -5", "0..1000")]
    [InlineData("\"fps\": 5", "\"fps\": \"fast\"", "pipelines[0].source.fps = \"fast\"", "number")]
    [InlineData("\"type\": \"images\"", "\"type\": \"webcam\"", "pipelines[0].source.type = \"webcam\"", "camera, rtsp, video, images, test-pattern, gstreamer")]
    [InlineData("\"port\": 1883", "\"port\": 70000", "mqtt.port = 70000", "1..65535")]
    [InlineData("\"prefix\": \"edge\"", "\"prefix\": \"edge/#\"", "mqtt.prefix", "'#'")]
    [InlineData("\"id\": \"kiosk-01\"", "\"id\": \"kiosk/01\"", "device.id", "letters, digits")]
    [InlineData("\"host\": \"127.0.0.1\"", "\"hots\": \"127.0.0.1\"", "mqtt.hots: unknown key", "allowed here: ")]
    [InlineData("{ \"type\": \"ocr\" }", "{ \"type\": \"yolo\" }", "pipelines[0].stages[0].type = \"yolo\"", "ocr")]
    [InlineData("\"loop\": false", "\"loop\": \"no\"", "pipelines[0].source.loop = \"no\"", "true or false")]
    [InlineData("\"path\": \"samples\"", "\"path\": \"missing-folder\"", "pipelines[0].source", "missing-folder")]
    public void A_bad_value_is_named_with_its_key_path_and_what_is_allowed(string from, string to, string names, string allowed)
    {
        Assert.Contains(from, Example);
        var e = Error(Example.Replace(from, to));
        Assert.Contains(File, e);
        Assert.Contains(names, e);
        Assert.Contains(allowed, e);
    }

    [Fact]
    public void Required_sections_are_named_when_missing()
    {
        Assert.Contains("device: is required", Error("""{ "pipelines": [] }"""));
        Assert.Contains("pipelines: is required", Error("""{ "device": { "id": "a" } }"""));
        Assert.Contains("needs at least 1", Error("""{ "device": { "id": "a" }, "pipelines": [] }"""));
    }

    [Fact]
    public void An_mqtt_sink_without_an_mqtt_section_is_refused()
    {
        var json = Example.Replace("\"mqtt\": { \"host\": \"127.0.0.1\", \"port\": 1883, \"prefix\": \"edge\" },", "");
        Assert.Contains("needs the top-level \"mqtt\" section", Error(json));
    }

    [Fact]
    public void Duplicate_pipeline_names_are_refused()
    {
        var pipeline = Example[Example.IndexOf("{ \"name\"", StringComparison.Ordinal)..Example.LastIndexOf(']')].Trim();
        var json = Example.Replace(pipeline, pipeline + ", " + pipeline);
        Assert.Contains("two pipelines are named \"cards\"", Error(json));
    }

    [Fact]
    public void Tls_files_must_exist_and_cert_needs_key()
    {
        var json = Example.Replace("\"prefix\": \"edge\"", "\"prefix\": \"edge\", \"tls\": { \"ca\": \"ca.pem\" }");
        Assert.Contains("mqtt.tls.ca: file not found", Error(json));
        System.IO.File.WriteAllText(Path.Combine(_dir, "ca.pem"), "x");
        Assert.Equal(8883, Parse(json.Replace("\"port\": 1883, ", "")).Mqtt!.Port);
        Assert.Contains("cert and key go together", Error(json.Replace("\"ca\": \"ca.pem\"", "\"ca\": \"ca.pem\", \"cert\": \"ca.pem\"")));
    }

    [Fact]
    public void Comments_and_trailing_commas_are_accepted()
    {
        var c = Parse("// kiosk at the east gate\n" + Example.Replace("\"loop\": false }", "\"loop\": false, }"));
        Assert.Equal("cards", c.Pipelines[0].Name);
    }
}
