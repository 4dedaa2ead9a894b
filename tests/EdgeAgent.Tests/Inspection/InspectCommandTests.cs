using System.Text.Json;
using Edge.Agent.Cli;
using Edge.Models.Detection;
using Edge.Models.Imaging;
using Edge.Models.Tests.Detection;

namespace Edge.Agent.Tests.Inspection;

public sealed class InspectCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-inspect-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Edge(params string[] args) => CliRun.Capture(args);

    /// <summary>A model that sees one scratch at (128,128)-(192,192) in every image, and four labelled parts, two of them defective.</summary>
    private (string Model, string Heldout) AlwaysScratchModel()
    {
        var model = new OnnxModelBuilder().Input("images", OnnxModelBuilder.Float, 1, 3, 320, 320)
            .Output("output0", [160, 160, 64, 64, 0.9f, 0.01f, 0.01f, 0.01f], [1, 8, 1])
            .Metadata("names", "{0: 'scratch', 1: 'dent', 2: 'spot', 3: 'missing_hole'}").Metadata("task", "detect")
            .Save(Path.Combine(_dir, "always.onnx"));
        var heldout = CraftedParts.WriteHeldout(_dir);
        return (model, heldout);
    }

    [Fact]
    public void Inspect_sim_rejects_every_part_the_detector_flags_and_reports_the_errors_against_the_truth()
    {
        var (model, heldout) = AlwaysScratchModel();
        var snapshots = Path.Combine(_dir, "snapshots");

        var (code, output, err) = Edge("inspect", "--sim", "--parts", "20", "--model", model, "--heldout", heldout, "--snapshots", snapshots, "--threads", "1");

        Assert.True(code == 0, output + err);
        Assert.Contains("parts 20, defective (truth) 10, judged defective 20, rejected 20", output);
        Assert.Contains("missed rejects 0, wrong rejects 10", output);
        Assert.Contains("gate missed 0, gate wrong 0, stray pulses 0", output);
        Assert.Contains("pulses outside trigger + delay ± 1 ms: 0", output);
        Assert.Contains("pulse + 500.000 ms", output);
        Assert.Equal(20, Directory.GetFiles(snapshots, "*.jpg").Length);
    }

    [Fact]
    public void Continuous_sim_names_the_images_behind_wrong_rejects_and_a_corrupt_part_mask()
    {
        var (model, heldout) = AlwaysScratchModel();

        var (code, output, err) = Edge("inspect", "--sim", "--continuous", "--parts", "8", "--model", model, "--heldout", heldout, "--quiet", "--threads", "1");
        Assert.True(code == 0, output + err);
        Assert.Contains("pasted whole (no masks/ beside them)", output);
        Assert.Contains("wrong (good, rejected): 0001.jpg", output);

        var masks = Directory.CreateDirectory(Path.Combine(heldout, "masks")).FullName;
        File.WriteAllBytes(Path.Combine(masks, "0000.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        (code, _, err) = Edge("inspect", "--sim", "--continuous", "--parts", "8", "--model", model, "--heldout", heldout, "--quiet", "--threads", "1");
        Assert.Equal(2, code);
        Assert.Contains(Path.Combine(masks, "0000.png"), err);
    }

    [Fact]
    public void Inspect_without_sim_says_what_is_missing()
    {
        var (code, _, err) = Edge("inspect", "--parts", "3");
        Assert.Equal(2, code);
        Assert.Contains("--sim", err);
    }

    [Fact]
    public void Bench_detect_times_the_model_and_scores_it_on_the_held_out_set()
    {
        var (model, heldout) = AlwaysScratchModel();

        var (code, output, err) = Edge("bench", "detect", "--model", model, "--heldout", heldout, "--iterations", "2", "--threads", "1");

        Assert.Contains("FP32 only", err);
        Assert.Contains("mAP@0.5", output);
        // Two of the four images hold the scratch the model always reports: every truth found, two false alarms ranked alongside.
        Assert.Matches(@"FP32 AP@0.5 by class: scratch [0-9.]+, dent -, spot -, missing_hole -", output);
        Assert.True(code is 0 or 1, err);
    }

    [Fact]
    public void Inspect_sim_with_the_defect_model_rejects_exactly_what_the_detector_judged_defective()
    {
        var (code, output, err) = Edge("inspect", "--sim", "--parts", "40", "--model", "defect", "--quiet", "--threads", "1");

        Assert.True(code == 0, output + err);
        Assert.Contains("gate missed 0, gate wrong 0, stray pulses 0", output);
        Assert.Contains("pulses outside trigger + delay ± 1 ms: 0", output);
        Assert.Contains("late decisions 0", output);
        Assert.Matches(@"lowest scores that count: scratch [0-9.]+, dent [0-9.]+, spot [0-9.]+, missing_hole [0-9.]+ \(the model's recommendation, its min_score metadata\)", output);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_shipped_defect_models_recommend_a_score_for_every_class(bool int8)
    {
        using var detector = ObjectDetector.Load(DetectionModels.Resolve("defect", int8));
        var scores = detector.RecommendedMinScores;
        Assert.NotNull(scores);
        Assert.Equal(detector.Labels.Names.Order(), scores.Keys.Order());
        Assert.All(scores.Values, v => Assert.InRange(v, 0.05f, 0.95f));
    }

    [Fact]
    public void A_long_simulated_run_reports_its_progress_on_stderr()
    {
        var stderr = new StringWriter();
        var progress = new InspectCommand.Progress(stderr, total: 4, every: TimeSpan.Zero);
        for (int i = 0; i < 4; i++) progress.OnPart(default);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("edge inspect: 1 of 4 parts inspected (25 %)", lines[0]);
        Assert.StartsWith("edge inspect: 4 of 4 parts inspected (100 %)", lines[3]);

        var quiet = new StringWriter();
        var slow = new InspectCommand.Progress(quiet, total: 4, every: TimeSpan.FromHours(1));
        for (int i = 0; i < 4; i++) slow.OnPart(default);
        Assert.Equal("", quiet.ToString()); // a run shorter than the interval prints nothing
    }
}
