using Edge.Models.Onnx;

namespace Edge.Models.Tests.Onnx;

public class OnnxSessionConfigTests
{
    public static TheoryData<OnnxSessionConfig, string, string> BadConfigs => new()
    {
        { new OnnxSessionConfig { IntraOpThreads = -1 }, nameof(OnnxSessionConfig.IntraOpThreads), "-1" },
        { new OnnxSessionConfig { InterOpThreads = -3 }, nameof(OnnxSessionConfig.InterOpThreads), "-3" },
        { new OnnxSessionConfig { DeviceId = -1 }, nameof(OnnxSessionConfig.DeviceId), "-1" },
        { new OnnxSessionConfig { Providers = [] }, nameof(OnnxSessionConfig.Providers), "[]" },
        { new OnnxSessionConfig { Providers = [ExecutionProvider.Cuda, ExecutionProvider.Cuda] }, nameof(OnnxSessionConfig.Providers), "Cuda" },
        { new OnnxSessionConfig { Providers = [(ExecutionProvider)7] }, nameof(OnnxSessionConfig.Providers), "7" },
        { new OnnxSessionConfig { Optimization = (GraphOptimization)3 }, nameof(OnnxSessionConfig.Optimization), "3" },
        { new OnnxSessionConfig { OptimizedModelPath = " " }, nameof(OnnxSessionConfig.OptimizedModelPath), "\" \"" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Validation_names_the_bad_property_and_its_value(OnnxSessionConfig config, string property, string value)
    {
        var e = Assert.Throws<ArgumentException>(config.Validate);

        Assert.Equal(property, e.ParamName);
        Assert.Contains($"OnnxSessionConfig.{property} = {value}", e.Message);
    }

    [Fact]
    public void Default_config_is_valid_cpu_only_with_full_optimisation_and_no_spinning()
    {
        var config = OnnxSessionConfig.Default;

        config.Validate();
        Assert.Equal([ExecutionProvider.Cpu], config.Providers);
        Assert.Equal(GraphOptimization.All, config.Optimization);
        Assert.False(config.AllowSpinning);
        Assert.Equal(0, config.IntraOpThreads);
    }
}
