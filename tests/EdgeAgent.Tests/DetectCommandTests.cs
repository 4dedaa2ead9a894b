using System.Diagnostics;
using System.Text.Json;
using Edge.Agent.Cli;
using Edge.Models.Imaging;
using Edge.Models.Tests.Detection;

namespace Edge.Agent.Tests;

public sealed class DetectCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-detect-test-").FullName;
    private readonly string _model;
    private readonly string _images;

    public DetectCommandTests()
    {
        // YOLOv8 layout [1, 4+2, 3]: a scratch, a dent, and a box below the threshold.
        float[][] rows = [[320, 320, 64, 64, 0.9f, 0.0f], [100, 100, 40, 20, 0.1f, 0.7f], [500, 500, 10, 10, 0.1f, 0.1f]];
        var output = new float[6 * 3];
        for (int n = 0; n < 3; n++)
            for (int c = 0; c < 6; c++) output[c * 3 + n] = rows[n][c];
        _model = new OnnxModelBuilder().Input("images", OnnxModelBuilder.Float, 1, 3, 640, 640)
            .Output("output0", output, [1, 6, 3]).Metadata("names", "{0: 'scratch', 1: 'dent'}").Metadata("task", "detect")
            .Save(Path.Combine(_dir, "defect.onnx"));
        _images = Directory.CreateDirectory(Path.Combine(_dir, "images")).FullName;
        foreach (var name in new[] { "b.png", "a.jpg" })
        {
            using var image = new ImageBuffer(640, 640, PixelFormat.Rgb24);
            image.Data.Fill(128);
            ImageCodec.Save(Path.Combine(_images, name), image);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Edge(params string[] args) => CliRun.Capture(args);

    private static List<JsonElement> Lines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public async Task A_command_line_of_40_KB_does_not_overflow_the_stack_when_onnx_runtime_creates_its_env()
    {
        // ONNX Runtime 1.30's CreateEnv recurses over the process's command line (~280 bytes of stack per character):
        // on the main thread's 8 MB stack, ~30 KB of image paths killed `edge detect` before it read an image.
        // This needs a real child process: the command line is the process's, not EdgeCli.Run's arguments.
        string deep = _images;
        for (int i = 0; i < 3; i++) deep = Directory.CreateDirectory(Path.Combine(deep, new string((char)('p' + i), 200))).FullName;
        string image = Path.Combine(deep, "a.jpg");
        File.Copy(Path.Combine(_images, "a.jpg"), image);
        const int copies = 64;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "edge.dll"), "detect", "--model", _model, "--json" }) info.ArgumentList.Add(arg);
        for (int i = 0; i < copies; i++) info.ArgumentList.Add(image);
        Assert.True(info.ArgumentList.Sum(a => a.Length + 1) > 40_000);

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("edge detect did not exit within 120 s");
        }
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
        Assert.Equal(copies, Lines(await stdout).Count);
    }

    [Fact]
    public void Json_output_has_one_object_per_image_with_labels_scores_boxes_and_stage_times()
    {
        var (code, stdout, stderr) = Edge("detect", "--model", _model, _images, "--json");

        Assert.True(code == 0, stderr);
        var objects = Lines(stdout);
        Assert.Equal(["a.jpg", "b.png"], objects.Select(o => Path.GetFileName(o.GetProperty("image").GetString())));
        foreach (var o in objects)
        {
            var d = o.GetProperty("detections").EnumerateArray().ToList();
            Assert.Equal(["scratch", "dent"], d.Select(x => x.GetProperty("label").GetString()));
            Assert.Equal([0.9, 0.7], d.Select(x => x.GetProperty("score").GetDouble()));
            Assert.Equal([288.0, 288, 352, 352], d[0].GetProperty("box").EnumerateArray().Select(v => v.GetDouble()));
            Assert.Equal([80.0, 90, 120, 110], d[1].GetProperty("box").EnumerateArray().Select(v => v.GetDouble()));
            var ms = o.GetProperty("ms");
            foreach (var stage in new[] { "decode", "preprocess", "model", "postprocess", "total" })
                Assert.True(ms.GetProperty(stage).GetDouble() >= 0, stage);
        }
    }

    [Fact]
    public void Conf_and_a_labels_file_change_what_is_reported()
    {
        var labels = Path.Combine(_dir, "labels.txt");
        File.WriteAllText(labels, "kratzer\ndelle\n");

        var (code, stdout, stderr) = Edge("detect", "--model", _model, Path.Combine(_images, "b.png"), "--json", "--conf", "0.8", "--labels", labels);

        Assert.True(code == 0, stderr);
        var d = Assert.Single(Lines(stdout)).GetProperty("detections").EnumerateArray().ToList();
        Assert.Equal("kratzer", Assert.Single(d).GetProperty("label").GetString());
    }

    [Fact]
    public void The_table_shows_each_image_with_its_objects()
    {
        var (code, stdout, stderr) = Edge("detect", "--model", _model, _images);

        Assert.True(code == 0, stderr);
        Assert.Contains("b.png  (2 objects", stdout);
        Assert.Contains("0.90  scratch    @(288,288)-(352,352)", stdout);
    }

    [Fact]
    public void A_model_name_resolves_to_the_models_folder_of_a_root()
    {
        var shipped = Directory.CreateDirectory(Path.Combine(_dir, "repo", "models", "defect")).FullName;
        File.Copy(_model, Path.Combine(shipped, "defect.onnx"));

        Assert.Equal(Path.Combine(shipped, "defect.onnx"), DetectCommand.ResolveModel("defect", [Path.Combine(_dir, "elsewhere"), Path.Combine(_dir, "repo")]));
        Assert.Equal("x/y.onnx", DetectCommand.ResolveModel("x/y.onnx", []));
    }

    [Fact]
    public void A_missing_model_is_named_with_where_it_was_looked_for()
    {
        var (code, _, stderr) = Edge("detect", "--model", "no-such-model", _images);
        Assert.Equal(1, code);
        Assert.Contains("no-such-model", stderr);
        Assert.Contains(Path.Combine("models", "no-such-model", "no-such-model.onnx"), stderr);

        var missing = Path.Combine(_dir, "gone.onnx");
        (code, _, stderr) = Edge("detect", "--model", missing, _images);
        Assert.Equal(1, code);
        Assert.Contains(missing, stderr);
    }

    [Fact]
    public void A_corrupt_model_is_named()
    {
        var corrupt = Path.Combine(_dir, "corrupt.onnx");
        File.WriteAllBytes(corrupt, [0x08, 0x07, 0x12, 0xFF, 0xFF, 0x01, 0x02]);

        var (code, _, stderr) = Edge("detect", "--model", corrupt, _images);

        Assert.Equal(1, code);
        Assert.Contains(corrupt, stderr);
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_named_the_others_are_still_read_and_the_exit_code_is_nonzero()
    {
        var notes = Path.Combine(_images, "notes.png");
        File.WriteAllText(notes, "not a picture");

        var (code, stdout, stderr) = Edge("detect", "--model", _model, _images, "--json");

        Assert.Equal(1, code);
        Assert.Contains(notes, stderr);
        var objects = Lines(stdout);
        Assert.Equal(3, objects.Count);
        Assert.Equal(notes, Assert.Single(objects, o => o.TryGetProperty("error", out _)).GetProperty("image").GetString());
        Assert.Equal(2, objects.Count(o => o.TryGetProperty("detections", out var d) && d.GetArrayLength() == 2));
    }

    [Theory]
    [InlineData(new[] { "detect", "x.png" }, "--model")]
    [InlineData(new[] { "detect", "--model", "m.onnx" }, "at least one image")]
    [InlineData(new[] { "detect", "--model", "m.onnx", "x.png", "--conf", "2" }, "--conf")]
    [InlineData(new[] { "detect", "--model", "m.onnx", "x.png", "--colour" }, "--colour")]
    public void Usage_errors_exit_2_and_name_the_problem(string[] args, string named)
    {
        var (code, _, stderr) = Edge(args);
        Assert.Equal(2, code);
        Assert.Contains(named, stderr);
    }
}
