using Edge.Agent.Cli;
using Edge.Agent.Config;
using Edge.Agent.Devices;
using Edge.Agent.Devices.Linux;
using Edge.Agent.Inspection;
using Edge.Models.Detection;
using Edge.Models.Onnx;

namespace Edge.Agent.Diagnostics;

// Checks for the "inspection" section: each line's model (found, loads, knows the rules' classes), GPIO wiring and
// snapshot folder.
public static partial class Doctor
{
    /// <summary>
    /// For each inspection line: the model resolves and loads and knows the classes the rules name; the GPIO chip opens
    /// and has every configured line. Lines are not requested: that would drive the reject output of a running line.
    /// </summary>
    /// <param name="openChip">Opens a chip by path (default <see cref="LinuxGpioChip"/>; tests pass a simulator).</param>
    public static IEnumerable<Check> InspectionChecks(AgentConfig config, Func<string, IGpioChip>? openChip = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Inspection is not { } inspection) yield break;
        openChip ??= path => new LinuxGpioChip(path);
        foreach (var line in inspection.Lines)
        {
            yield return InspectionModelCheck(line);
            yield return InspectionGpioCheck(line, openChip);
            yield return InspectionSnapshotCheck(line);
        }
    }

    /// <summary>
    /// The defect snapshots' folder can be made and written. A warning, not a failure: the line runs without snapshots
    /// when it cannot (rejects never wait on them). Nothing is created; a probe file is written and removed in the
    /// folder, or in the nearest folder above it that exists (where the line would create it).
    /// </summary>
    private static Check InspectionSnapshotCheck(InspectionLineConfig line)
    {
        var name = $"inspection {line.Name} snapshots";
        if (line.Options.SnapshotFolder is not { } folder) return new(name, CheckStatus.Ok, "off (snapshots.enabled is false)");
        var fix = $"set {line.Path}.snapshots.path to a folder the agent's user can write, or {line.Path}.snapshots.enabled to false";
        string? existing = Path.GetFullPath(folder);
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing))
                return new(name, CheckStatus.Warn, $"{existing} is a file, not a folder: the line will run without snapshots", fix);
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is null) return new(name, CheckStatus.Warn, $"{folder}: no folder above it exists: the line will run without snapshots", fix);
        var probe = Path.Combine(existing, $".edge-doctor-{Environment.ProcessId}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(name, CheckStatus.Warn, $"{existing} cannot be written ({e.Message}): the line will run without snapshots", fix);
        }
        var o = line.Options;
        var limits = $"at most {o.SnapshotMaxFiles} files, none older than {o.SnapshotMaxAge.TotalHours:0.##} h";
        return new(name, CheckStatus.Ok, existing == Path.GetFullPath(folder) ? $"{folder} ({limits})" : $"{folder}, made at start under {existing} ({limits})");
    }

    private static Check InspectionModelCheck(InspectionLineConfig line)
    {
        var name = $"inspection {line.Name} model";
        string path;
        try { path = InspectionService.ResolveModel(line); }
        catch (FileNotFoundException e)
        {
            return new(name, CheckStatus.Fail, e.Message, "run scripts/setup (it fetches models/defect), or set the line's \"model\" to an .onnx file");
        }
        try
        {
            var session = OnnxSessionConfig.Default with { IntraOpThreads = 1 };
            using var detector = ObjectDetector.Load(path, new DetectionOptions { Session = session });
            var options = line.Options.WithModelMinScores(detector.RecommendedMinScores);
            try
            {
                var verifier = DetectionModels.LoadVerifier(path, detector.Labels.Names, line.Verifier, $"{line.Path}.verifier", session, null);
                if (verifier is not null) DetectionModels.Attach(detector, verifier, line.Verifier, $"{line.Path}.verifier");
                DetectionModels.ApplyBand(verifier, line.VerifierBand, $"{line.Path}.verifierBand", $"{line.Path}.verifier");
                if (verifier is not null) options = options with { Verifier = VerifierRule.Of(verifier) };
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException)
            {
                return new(name, CheckStatus.Fail, e.Message.Split('\n')[0],
                    $"set {line.Path}.verifier to a verifier .onnx file made for this model, or \"none\" for no second look (docs/inspection.md, Second look)");
            }
            _ = new DecisionRules(options, detector.Labels.Names);
            return new(name, CheckStatus.Ok, $"{path} loads ({new FileInfo(path).Length / 1024} KiB; classes {string.Join(", ", detector.Labels.Names)}; "
                                             + $"lowest scores that count: {DetectionModels.DescribeScores(options, detector.Labels.Names)}; {DetectionModels.DescribeVerifier(detector)})");
        }
        catch (ArgumentException e)
        {
            return new(name, CheckStatus.Fail, $"{path}: {e.Message}", $"name only classes the model knows in {line.Path}.rules");
        }
        catch (Exception e) when (e is OnnxRuntimeException or OnnxRuntimeNotFoundException or InvalidDataException or IOException)
        {
            return new(name, CheckStatus.Fail, $"{path}: {e.Message.Split('\n')[0]}", "the file is not a detection model ONNX Runtime can load: run scripts/setup, or point \"model\" at a YOLO-style .onnx");
        }
    }

    private static Check InspectionGpioCheck(InspectionLineConfig line, Func<string, IGpioChip> openChip)
    {
        var name = $"inspection {line.Name} gpio";
        var g = line.Gpio;
        IGpioChip chip;
        try { chip = openChip(g.Chip); }
        catch (Exception e) when (e is DeviceException or IOException or UnauthorizedAccessException)
        {
            return new(name, CheckStatus.Fail, e.Message,
                $"check that {g.Chip} exists (ls /dev/gpiochip*; gpiodetect) and that the agent's user is in the gpio group, or fix {line.Path}.gpio.chip");
        }
        using (chip)
        {
            var missing = g.Lines().Where(l => l.Offset >= chip.LineCount).ToList();
            if (missing.Count > 0)
                return new(name, CheckStatus.Fail,
                    $"{g.Chip} has lines 0..{chip.LineCount - 1}; {string.Join(", ", missing.Select(m => $"{m.Role} = {m.Offset}"))} is not one of them",
                    $"fix {line.Path}.gpio (on a Pi the numbers are BCM GPIO numbers, not header pins; gpioinfo lists the lines)");
            return new(name, CheckStatus.Ok, $"{g.Chip} ({chip.Name}, {chip.LineCount} lines): {string.Join(", ", g.Lines().Select(l => $"{l.Role} {l.Offset}"))}");
        }
    }
}
