using Edge.Models.Onnx;
using Edge.Models.Tests.Support;

namespace Edge.Models.Tests.Onnx;

public class OnnxModelTests
{
    [Fact]
    public void Det_model_declares_image_input_x_and_a_one_channel_probability_map()
    {
        using var det = OnnxModel.Load(OcrModelFiles.Det);

        var input = Assert.Single(det.Inputs);
        Assert.Equal("x", input.Name);
        Assert.Equal(TensorElementType.Float, input.ElementType);
        Assert.Equal([-1L, 3, -1, -1], input.Shape);
        Assert.Equal("float[?,3,?,?]", input.TypeAndShape());
        Assert.StartsWith("x: float[", input.ToString());

        var output = Assert.Single(det.Outputs);
        Assert.Equal("sigmoid_0.tmp_0", output.Name);
        Assert.Equal(TensorElementType.Float, output.ElementType);
        Assert.Equal([-1L, 1, -1, -1], output.Shape);

        Assert.Equal(ExecutionProvider.Cpu, det.Provider);
        Assert.Empty(det.Fallbacks);
        Assert.Equal(Path.GetFullPath(OcrModelFiles.Det), det.ModelPath);
        Assert.NotNull(det.Metadata);
    }

    [Fact]
    public void Symbolic_dims_are_named_in_ToString_and_shown_as_question_marks_in_the_shape()
    {
        var info = new TensorInfo("x", TensorElementType.Float, [-1, 3, -1, -1], ["batch", null, "h", null]);

        Assert.Equal("x: float[batch,3,h,?]", info.ToString());
        Assert.Equal("float[?,3,?,?]", info.TypeAndShape());
    }

    [Fact]
    public void Det_maps_a_64x96_image_to_a_64x96_probability_map()
    {
        using var det = OnnxModel.Load(OcrModelFiles.Det);
        var image = new PinnedTensor<float>(3 * 64 * 96);
        image.Reshape(1, 3, 64, 96).Clear();
        using var outputs = new RunOutputs();

        det.Run(image, outputs);

        Assert.Equal(1, outputs.Count);
        Assert.Equal(TensorElementType.Float, outputs.ElementType(0));
        Assert.Equal([1L, 1, 64, 96], outputs.Shape(0).ToArray());
        var map = outputs.Get<float>(0);
        Assert.Equal(64 * 96, map.Length);
        foreach (var p in map) Assert.InRange(p, 0f, 1f);
    }

    [Fact]
    public void Rec_maps_a_48x160_line_to_per_step_probabilities_over_6625_classes()
    {
        using var rec = OnnxModel.Load(OcrModelFiles.Rec);
        var line = new PinnedTensor<float>(3 * 48 * 160);
        line.Reshape(1, 3, 48, 160).Fill(0.5f);
        using var outputs = new RunOutputs();

        rec.Run(line, outputs);

        var shape = outputs.Shape(0);
        Assert.Equal(3, shape.Length);
        Assert.Equal(1, shape[0]);
        Assert.InRange(shape[1], 1, 160);
        Assert.Equal(6625, shape[2]);
        var probabilities = outputs.Get<float>(0);
        Assert.Equal(shape[1] * 6625, probabilities.Length);
        float firstStep = 0;
        foreach (var p in probabilities[..6625]) firstStep += p;
        Assert.InRange(firstStep, 0.99f, 1.01f); // softmax output
    }

    [Fact]
    public void Asking_for_cuda_falls_back_to_cpu_and_says_why()
    {
        var config = new OnnxSessionConfig { Providers = [ExecutionProvider.Cuda, ExecutionProvider.Cpu] };
        var logger = new ListLogger();

        using var cls = OnnxModel.Load(OcrModelFiles.Cls, config, logger);

        Assert.Equal(ExecutionProvider.Cpu, cls.Provider);
        var fallback = Assert.Single(cls.Fallbacks);
        Assert.Equal(ExecutionProvider.Cuda, fallback.Provider);
        Assert.False(string.IsNullOrWhiteSpace(fallback.Reason));
        Assert.Contains(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && e.Message.Contains("Cuda") && e.Message.Contains(fallback.Reason));
        RunClsOnce(cls); // the session the same options made still works
    }

    [Fact]
    public void Only_cuda_requested_still_yields_a_working_cpu_session()
    {
        using var cls = OnnxModel.Load(OcrModelFiles.Cls, new OnnxSessionConfig { Providers = [ExecutionProvider.Cuda] });

        Assert.Equal(ExecutionProvider.Cpu, cls.Provider);
        Assert.Equal(ExecutionProvider.Cuda, Assert.Single(cls.Fallbacks).Provider);
        RunClsOnce(cls);
    }

    [Fact]
    public void Wrong_channel_count_is_refused_with_expected_and_given_shapes()
    {
        using var det = OnnxModel.Load(OcrModelFiles.Det);
        var image = new PinnedTensor<float>(4 * 32 * 32);
        image.Reshape(1, 4, 32, 32).Clear();
        using var outputs = new RunOutputs();

        var e = Assert.Throws<TensorShapeException>(() => det.Run(image, outputs));

        Assert.Equal("input 'x' of ch_PP-OCRv4_det_infer.onnx: expected float[?,3,?,?], given float[1,4,32,32]", e.Message);
        Assert.Equal(0, outputs.Count);
    }

    [Fact]
    public void Byte_tensor_into_float_input_is_refused()
    {
        using var det = OnnxModel.Load(OcrModelFiles.Det);
        var image = new PinnedTensor<byte>(3 * 32 * 32);
        image.Reshape(1, 3, 32, 32).Clear();
        using var outputs = new RunOutputs();

        var e = Assert.Throws<TensorShapeException>(() => det.Run(image, outputs));

        Assert.Contains("expected float[?,3,?,?]", e.Message);
        Assert.Contains("given uint8[1,3,32,32]", e.Message);
    }

    [Fact]
    public void A_fixed_dim_and_the_rank_are_checked()
    {
        using var rec = OnnxModel.Load(OcrModelFiles.Rec);
        var line = new PinnedTensor<float>(3 * 32 * 160);
        using var outputs = new RunOutputs();

        line.Reshape(1, 3, 32, 160).Clear();
        var height = Assert.Throws<TensorShapeException>(() => rec.Run(line, outputs));
        line.Reshape(3, 48, 160).Clear();
        var rank = Assert.Throws<TensorShapeException>(() => rec.Run(line, outputs));

        Assert.Contains("expected float[?,3,48,?], given float[1,3,32,160]", height.Message);
        Assert.Contains("given float[3,48,160]", rank.Message);
    }

    [Fact]
    public void Wrong_input_count_is_refused()
    {
        using var det = OnnxModel.Load(OcrModelFiles.Det);
        using var outputs = new RunOutputs();

        var e = Assert.Throws<TensorShapeException>(() => det.Run(ReadOnlySpan<TensorInput>.Empty, outputs));

        Assert.Contains("expected 1 input(s)", e.Message);
        Assert.Contains("given 0", e.Message);
    }

    [Fact]
    public void Corrupt_model_fails_with_the_file_named_in_the_message()
    {
        using var temp = new TempDirectory();
        var path = temp.File("corrupt.onnx");
        var junk = new byte[4096];
        new Random(42).NextBytes(junk);
        File.WriteAllBytes(path, junk);

        var e = Assert.Throws<OnnxRuntimeException>(() => OnnxModel.Load(path));

        Assert.Contains(path, e.Message);
        Assert.NotEqual(OrtErrorCode.Ok, e.Code);
        Assert.IsType<OnnxRuntimeException>(e.InnerException); // ORT's own error, unchanged
    }

    [Fact]
    public void Missing_model_fails_with_file_not_found_naming_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir-edge", "missing.onnx");

        var e = Assert.Throws<FileNotFoundException>(() => OnnxModel.Load(path));

        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Dispose_twice_is_fine_and_use_after_dispose_throws()
    {
        var cls = OnnxModel.Load(OcrModelFiles.Cls);
        var image = ClsInput();
        using var outputs = new RunOutputs();

        cls.Dispose();
        cls.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cls.Run(image, outputs));
        Assert.Throws<ObjectDisposedException>(() => cls.Inputs);
    }

    [Fact]
    public void Outputs_stay_readable_after_the_model_is_disposed_and_go_away_with_their_own_dispose()
    {
        var outputs = new RunOutputs();
        using (var cls = OnnxModel.Load(OcrModelFiles.Cls))
            cls.Run(ClsInput(), outputs);

        Assert.Equal([1L, 2], outputs.Shape(0).ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => outputs.Get<byte>(0));
        Assert.Contains("float", e.Message);
        outputs.Dispose();
        outputs.Dispose();
        Assert.Throws<ObjectDisposedException>(() => outputs.Get<float>(0));
    }

    [Fact]
    public void Steady_state_run_allocates_no_managed_memory()
    {
        using var cls = OnnxModel.Load(OcrModelFiles.Cls);
        var image = ClsInput();
        using var outputs = new RunOutputs();
        float sum = 0;
        var allocations = Allocations.SteadyState(() =>
        {
            image.Reshape(1, 3, 48, 192);
            cls.Run(image, outputs);
            sum += outputs.Get<float>(0)[0] + outputs.Shape(0)[1];
        });

        Assert.True(allocations.Bytes == 0, allocations.ToString());
        Assert.True(sum > 0);
    }

    [Fact]
    public void Two_threads_can_run_one_model_with_their_own_outputs()
    {
        using var cls = OnnxModel.Load(OcrModelFiles.Cls);
        using var expected = new RunOutputs();
        cls.Run(ClsInput(), expected);
        var want = expected.Get<float>(0).ToArray();

        var results = new float[2][];
        Parallel.For(0, 2, t =>
        {
            var image = ClsInput();
            using var outputs = new RunOutputs();
            for (int i = 0; i < 10; i++) cls.Run(image, outputs);
            results[t] = outputs.Get<float>(0).ToArray();
        });

        Assert.All(results, r => Assert.Equal(want, r));
    }

    [Fact]
    public void Session_options_are_applied_and_the_optimised_graph_is_written()
    {
        using var temp = new TempDirectory();
        var optimized = temp.File("cls.optimized.onnx");
        var config = new OnnxSessionConfig
        {
            IntraOpThreads = 1,
            InterOpThreads = 1,
            AllowSpinning = true,
            MemoryArena = false,
            Optimization = GraphOptimization.Basic,
            OptimizedModelPath = optimized,
        };

        using (var cls = OnnxModel.Load(OcrModelFiles.Cls, config))
            RunClsOnce(cls);

        Assert.True(new FileInfo(optimized).Length > 0);
        using var reloaded = OnnxModel.Load(optimized, new OnnxSessionConfig { Optimization = GraphOptimization.Disabled });
        RunClsOnce(reloaded);
    }

    [Fact]
    public void Invalid_config_is_refused_before_the_model_is_touched()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            OnnxModel.Load("does-not-matter.onnx", new OnnxSessionConfig { IntraOpThreads = -2 }));

        Assert.Equal(nameof(OnnxSessionConfig.IntraOpThreads), e.ParamName);
    }

    private static PinnedTensor<float> ClsInput()
    {
        var image = new PinnedTensor<float>(3 * 48 * 192);
        var pixels = image.Reshape(1, 3, 48, 192);
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (i % 192) / 192f - 0.5f;
        return image;
    }

    private static void RunClsOnce(OnnxModel cls)
    {
        using var outputs = new RunOutputs();
        cls.Run(ClsInput(), outputs);
        var scores = outputs.Get<float>(0);
        Assert.Equal(2, scores.Length);
        Assert.InRange(scores[0] + scores[1], 0.99f, 1.01f);
    }
}
