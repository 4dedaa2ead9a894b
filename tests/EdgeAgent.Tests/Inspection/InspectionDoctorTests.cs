using Edge.Agent.Config;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Diagnostics;

namespace Edge.Agent.Tests.Inspection;

public sealed class InspectionDoctorTests
{
    /// <param name="extra">more <c>gpio</c> keys, after a comma.</param>
    /// <param name="line">more keys of the line (rules, snapshots), after a comma.</param>
    private static AgentConfig Config(string chip, int reject = 27, string model = "defect", string extra = "", string line = "") => AgentConfig.Parse($$"""
        { "device": { "id": "d" }, "inspection": { "lines": [ { "name": "line1", "model": "{{model}}",
            "camera": { "type": "camera", "device": "/dev/video0" }, "gpio": { "chip": "{{chip}}", "photoEye": 17, "reject": {{reject}} {{extra}} } {{line}} } ] } }
        """, "/etc/edge/agent.json");

    [Fact]
    public void Doctor_checks_the_acknowledge_button_line_like_the_others()
    {
        var ok = Doctor.InspectionChecks(Config("/dev/gpiochip0", extra: ", \"acknowledge\": 26"), _ => new SimulatedGpioChip()).Single(c => c.Name == "inspection line1 gpio");
        Assert.Equal(CheckStatus.Ok, ok.Status);
        Assert.Contains("acknowledge 26", ok.Detail);
        var missing = Doctor.InspectionChecks(Config("/dev/gpiochip0", extra: ", \"acknowledge\": 60"), _ => new SimulatedGpioChip()).Single(c => c.Name == "inspection line1 gpio");
        Assert.Equal(CheckStatus.Fail, missing.Status);
        Assert.Contains("acknowledge = 60", missing.Detail);
    }

    [Fact]
    public void Doctor_passes_a_line_whose_model_loads_and_whose_chip_has_every_line()
    {
        var checks = Doctor.InspectionChecks(Config("/dev/gpiochip0"), _ => new SimulatedGpioChip()).ToDictionary(c => c.Name);
        Assert.Equal(CheckStatus.Ok, checks["inspection line1 model"].Status);
        Assert.Contains("scratch", checks["inspection line1 model"].Detail);
        Assert.Equal(CheckStatus.Ok, checks["inspection line1 gpio"].Status);
        Assert.Contains("photoEye 17, reject 27", checks["inspection line1 gpio"].Detail);
    }

    [Fact]
    public void Doctor_fails_a_missing_chip_naming_it_with_the_fix()
    {
        var check = Doctor.InspectionChecks(Config("/dev/gpiochip-doctor-missing")).Single(c => c.Name == "inspection line1 gpio");
        Assert.Equal(CheckStatus.Fail, check.Status);
        Assert.Contains("/dev/gpiochip-doctor-missing", check.Detail);
        Assert.Contains("gpiodetect", check.Fix);
    }

    [Fact]
    public void Doctor_fails_a_line_number_the_chip_does_not_have_and_a_model_that_is_not_there()
    {
        var checks = Doctor.InspectionChecks(Config("/dev/gpiochip0", reject: 60, model: "/nonexistent/m.onnx"), _ => new SimulatedGpioChip()).ToDictionary(c => c.Name);
        Assert.Equal(CheckStatus.Fail, checks["inspection line1 gpio"].Status);
        Assert.Contains("reject = 60", checks["inspection line1 gpio"].Detail);
        Assert.Contains("0..53", checks["inspection line1 gpio"].Detail);
        Assert.Equal(CheckStatus.Fail, checks["inspection line1 model"].Status);
        Assert.Contains("inspection.lines[0].model", checks["inspection line1 model"].Detail);
    }

    [Fact]
    public void Doctor_warns_of_a_snapshot_folder_the_line_cannot_use_and_passes_one_it_can()
    {
        var dir = Directory.CreateTempSubdirectory("edge-doctor-snapshots-").FullName;
        try
        {
            var file = Path.Combine(dir, "defects");
            File.WriteAllText(file, "");
            AgentConfig With(string path) => Config("/dev/gpiochip0", line: $", \"snapshots\": {{ \"path\": \"{path}\" }}");
            Check Snapshots(string path) => Doctor.InspectionChecks(With(path), _ => new SimulatedGpioChip()).Single(c => c.Name == "inspection line1 snapshots");

            var isFile = Snapshots(file);
            var underFile = Snapshots(Path.Combine(file, "line1"));
            var fine = Snapshots(Path.Combine(dir, "state", "line1"));

            Assert.Equal((CheckStatus.Warn, $"{file} is a file, not a folder: the line will run without snapshots"), (isFile.Status, isFile.Detail));
            Assert.Contains("inspection.lines[0].snapshots.path", isFile.Fix);
            Assert.Equal((CheckStatus.Warn, isFile.Detail), (underFile.Status, underFile.Detail));
            Assert.Equal(CheckStatus.Ok, fine.Status);
            Assert.Contains($"made at start under {dir}", fine.Detail);
            Assert.False(Directory.Exists(Path.Combine(dir, "state")), "the doctor creates nothing");
            Assert.Equal(["defects"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Doctor_names_the_rules_key_whose_class_the_model_does_not_know()
    {
        var config = Config("/dev/gpiochip0", line: ", \"rules\": { \"minScoreByClass\": { \"crack\": 0.3 } }");

        var check = Doctor.InspectionChecks(config, _ => new SimulatedGpioChip()).Single(c => c.Name == "inspection line1 model");

        Assert.Equal(CheckStatus.Fail, check.Status);
        Assert.EndsWith("defect.onnx: rules.minScoreByClass: class 'crack' is not one the model knows (allowed: scratch, dent, spot, missing_hole)", check.Detail);
        Assert.Contains("inspection.lines[0].rules", check.Fix);
    }
}
