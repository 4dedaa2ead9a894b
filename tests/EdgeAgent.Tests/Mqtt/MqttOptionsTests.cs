using Edge.Agent.Mqtt;

namespace Edge.Agent.Tests.Mqtt;

public sealed class MqttOptionsTests
{
    private static readonly MqttOptions Valid = new() { ClientId = "edge-test" };

    [Fact]
    public void The_defaults_with_a_client_id_are_valid() => Valid.Validate();

    [Theory]
    [InlineData(0, "Port = 0")]
    [InlineData(65536, "Port = 65536")]
    public void A_bad_port_is_rejected_naming_the_option_and_the_value(int port, string expected)
    {
        var error = Assert.Throws<MqttConfigException>(() => (Valid with { Port = port }).Validate());
        Assert.Contains(expected, error.Message);
        Assert.Contains("between 1 and 65535", error.Message);
        Assert.Equal("Port", error.ParamName);
    }

    [Fact]
    public void Each_bad_option_is_named_in_the_error()
    {
        Assert.Equal("ClientId", Assert.Throws<MqttConfigException>(() => (Valid with { ClientId = "" }).Validate()).Option);
        Assert.Equal("KeepAliveSeconds", Assert.Throws<MqttConfigException>(() => (Valid with { KeepAliveSeconds = 2 }).Validate()).Option);
        Assert.Equal("ReconnectMinDelay", Assert.Throws<MqttConfigException>(() => (Valid with { ReconnectMinDelay = TimeSpan.Zero }).Validate()).Option);
        Assert.Equal("ReconnectMaxDelay", Assert.Throws<MqttConfigException>(() =>
            (Valid with { ReconnectMinDelay = TimeSpan.FromSeconds(5), ReconnectMaxDelay = TimeSpan.FromSeconds(1) }).Validate()).Option);
        Assert.Equal("MaxInflight", Assert.Throws<MqttConfigException>(() => (Valid with { MaxInflight = 0 }).Validate()).Option);
        Assert.Equal("Password", Assert.Throws<MqttConfigException>(() => (Valid with { Password = "secret" }).Validate()).Option);
        Assert.Equal("Will.Topic", Assert.Throws<MqttConfigException>(() =>
            (Valid with { Will = new MqttWill("status/#", [], 1, false) }).Validate()).Option);
        Assert.Equal("Will.Qos", Assert.Throws<MqttConfigException>(() =>
            (Valid with { Will = new MqttWill("status", [], 3, false) }).Validate()).Option);
    }

    [Fact]
    public void A_missing_tls_ca_file_fails_validation_naming_the_file()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-ca-{Guid.NewGuid():N}.crt");

        var error = Assert.Throws<MqttConfigException>(() => (Valid with { Tls = new MqttTlsOptions(missing) }).Validate());

        Assert.Equal("Tls.CaFile", error.Option);
        Assert.Contains(missing, error.Message);
        Assert.Contains("file not found", error.Message);
    }

    [Fact]
    public void A_client_certificate_without_its_key_is_rejected()
    {
        string ca = Path.GetTempFileName();
        try
        {
            var error = Assert.Throws<MqttConfigException>(() => (Valid with { Tls = new MqttTlsOptions(ca, CertFile: ca) }).Validate());
            Assert.Equal("Tls.KeyFile", error.Option);
        }
        finally
        {
            File.Delete(ca);
        }
    }

    [Fact]
    public void The_client_constructor_validates_its_options()
    {
        var error = Assert.Throws<MqttConfigException>(() => new MqttClient(Valid with { Host = " " }));
        Assert.Equal("Host", error.Option);
    }

    [Theory]
    [InlineData("a/+/c", true)]
    [InlineData("a/#", true)]
    [InlineData("#", true)]
    [InlineData("a/b#", false)]
    [InlineData("a/#/c", false)]
    [InlineData("a/b+", false)]
    [InlineData("", false)]
    public void Topic_filters_follow_the_mqtt_wildcard_rules(string filter, bool valid) =>
        Assert.Equal(valid, MqttTopics.FilterProblem(filter) is null);
}
