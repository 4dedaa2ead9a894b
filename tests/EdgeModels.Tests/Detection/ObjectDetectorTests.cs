using Edge.Models.Detection;
using Edge.Models.Imaging;
using Edge.Models.Onnx;
using Edge.Models.Tests.Onnx;
using Edge.Models.Tests.Support;

namespace Edge.Models.Tests.Detection;

// The type shares its namespace's name; inside Edge.Models.* the bare name means the namespace.
using Detection = Edge.Models.Detection.Detection;

/// <summary>Crafted outputs run through the real ONNX Runtime in models written by <see cref="OnnxModelBuilder"/>.</summary>
public sealed class ObjectDetectorTests : IDisposable
{
    private const int F = OnnxModelBuilder.Float;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ImageBuffer Grey(int width, int height, PixelFormat format = PixelFormat.Rgb24)
    {
        var image = new ImageBuffer(width, height, format);
        image.Data.Fill(90);
        return image;
    }

    /// <summary>YOLOv8 [1, 4+C, N] from rows of (cx, cy, w, h, scores…).</summary>
    private static float[] ChannelsFirst(float[][] rows)
    {
        int n = rows.Length, k = rows[0].Length;
        var data = new float[n * k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) data[c * n + i] = rows[i][c];
        return data;
    }

    private static readonly float[][] V8Rows =
    [
        [320, 200, 100, 60, 0.9f, 0.1f],  // scratch
        [330, 200, 100, 60, 0.1f, 0.8f],  // dent, same place: kept (other class)
        [325, 202, 100, 60, 0.7f, 0.0f],  // scratch overlapping the first: suppressed
        [600, 150, 120, 40, 0.05f, 0.3f], // dent reaching past the image's right edge
        [100, 400, 20, 20, 0.2f, 0.2f],   // below the threshold
        [10, 10, 4, 4, 0.3f, 0.0f],       // in the top padding only: clipped to a line on the top edge
    ];

    private string YoloV8Model(string names = "{0: 'scratch', 1: 'dent'}", long[]? declaredInput = null, string? minScore = null)
    {
        var b = new OnnxModelBuilder()
            .Input("images", F, declaredInput ?? [1, 3, 640, 640])
            .Output("output0", ChannelsFirst(V8Rows), [1, 6, V8Rows.Length])
            .Metadata("task", "detect");
        if (names.Length > 0) b.Metadata("names", names);
        if (minScore is not null) b.Metadata("min_score", minScore);
        return b.Save(_dir.File("v8.onnx"));
    }

    /// <summary>The reference inverse of Ultralytics' letterbox for a 1000×499 image in 640×640 (319 rows at top 160), clipped.</summary>
    private static (float, float, float, float) Back(float cx, float cy, float w, float h)
    {
        float sx = 640f / 1000f, sy = 319f / 499f;
        float x1 = cx - w / 2, y1 = cy - h / 2, x2 = cx + w / 2, y2 = cy + h / 2;
        return (Math.Clamp((x1 - 0) / sx, 0, 1000), Math.Clamp((y1 - 160) / sy, 0, 499), Math.Clamp((x2 - 0) / sx, 0, 1000), Math.Clamp((y2 - 160) / sy, 0, 499));
    }

    [Fact]
    public void A_yolov8_model_gives_labelled_boxes_in_image_pixels_after_nms()
    {
        using var detector = ObjectDetector.Load(YoloV8Model());
        using var image = Grey(1000, 499); // asymmetric letterbox: 160 rows above, 161 below

        var result = detector.Detect(image);

        Assert.Equal(DetectionModelKind.YoloV8, detector.Kind);
        var d = result.Detections;
        // Equal scores (0.3): decode order decides, so box 3 comes before box 5.
        Assert.Equal(["scratch", "dent", "dent", "scratch"], d.Select(x => x.Label));
        Assert.Equal([0.9f, 0.8f, 0.3f, 0.3f], d.Select(x => x.Score));
        Assert.Equal(Back(320, 200, 100, 60), (d[0].X1, d[0].Y1, d[0].X2, d[0].Y2));
        Assert.Equal(Back(330, 200, 100, 60), (d[1].X1, d[1].Y1, d[1].X2, d[1].Y2));
        Assert.Equal(Back(600, 150, 120, 40), (d[2].X1, d[2].Y1, d[2].X2, d[2].Y2));
        Assert.Equal(1000f, d[2].X2);
        Assert.Equal((0f, 0f), (d[3].Y1, d[3].Y2));
        Assert.True(result.Timings.TotalMs >= result.Timings.ModelMs);
    }

    [Fact]
    public void Bgr_images_and_class_agnostic_nms_and_options_labels_are_honoured()
    {
        var options = new DetectionOptions { ClassAgnostic = true, Labels = ["a", "b"], Confidence = 0.5f };
        using var detector = ObjectDetector.Load(YoloV8Model(), options);
        using var image = Grey(1000, 499, PixelFormat.Bgr24);

        var d = detector.Detect(image).Detections;

        Assert.Equal([("a", 0.9f)], d.Select(x => (x.Label, x.Score)));
    }

    [Fact]
    public void Without_names_metadata_classes_are_called_class_n()
    {
        using var detector = ObjectDetector.Load(YoloV8Model(names: ""));
        using var image = Grey(640, 640);

        Assert.Contains("class_1", detector.Detect(image).Detections.Select(x => x.Label));
    }

    [Fact]
    public void A_model_with_dynamic_input_dims_gets_a_stride_multiple_input()
    {
        using var detector = ObjectDetector.Load(YoloV8Model(declaredInput: [-1, 3, -1, -1]));
        using var image = Grey(1280, 720);

        Assert.Equal(new LetterboxTransform(1280, 720, 640, 384, 640, 360, 0, 12), detector.Plan(1280, 720));
        var d = detector.Detect(image).Detections;
        Assert.Equal((320 - 50) / 0.5f, d[0].X1);
        Assert.Equal((200 - 30 - 12) / 0.5f, d[0].Y1);
    }

    [Fact]
    public void A_yolov5_model_multiplies_objectness_into_the_class_scores()
    {
        float[] rows =
        [
            100, 100, 50, 50, 0.9f, 0.5f, 0.9f, // obj 0.9 × 0.9 → class 1
            300, 300, 50, 50, 0.2f, 1.0f, 0.0f, // objectness too low
        ];
        var path = new OnnxModelBuilder().Input("images", F, 1, 3, 320, 320)
            .Output("output", rows, [1, 2, 7]).Metadata("names", "{0: 'nut', 1: 'bolt'}").Metadata("stride", "32")
            .Save(_dir.File("v5.onnx"));
        using var detector = ObjectDetector.Load(path);
        using var image = Grey(320, 160); // 320×160 at top 80

        var d = Assert.Single(detector.Detect(image).Detections);

        Assert.Equal(DetectionModelKind.YoloV5, detector.Kind);
        Assert.Equal(new Detection(1, "bolt", 0.9f * 0.9f, 75, 75 - 80, 125, 125 - 80) with { Y1 = 0 }, d);
    }

    [Fact]
    public void Raw_yolov5_heads_are_decoded_with_the_default_anchors_by_stride()
    {
        // 64×64 input: heads of 8×8 (stride 8), 4×4 (16) and 2×2 (32), one class; all logits -10 but one cell.
        const int k = 6;
        float[] Head(int size, Action<float[]>? set = null)
        {
            var data = new float[3 * size * size * k];
            data.AsSpan().Fill(-10f);
            set?.Invoke(data);
            return data;
        }
        // Anchor 1 of the stride-16 head, cell (x 1, y 1): centre logits 0 → s = 0.5, size logits 0 → (2·0.5)² = 1 × anchor.
        var mid = Head(4, d =>
        {
            int o = ((1 * 4 + 1) * 4 + 1) * k;
            d[o] = d[o + 1] = d[o + 2] = d[o + 3] = 0f;
            d[o + 4] = 10f; d[o + 5] = 10f;
        });
        // Outputs in coarse-to-fine order: the stride, not the position, picks the anchors.
        var path = new OnnxModelBuilder().Input("images", F, 1, 3, 64, 64)
            .Output("p5", Head(2), [1, 3, 2, 2, k]).Output("p4", mid, [1, 3, 4, 4, k]).Output("p3", Head(8), [1, 3, 8, 8, k])
            .Save(_dir.File("heads.onnx"));
        using var detector = ObjectDetector.Load(path);
        using var image = Grey(64, 64);

        var d = Assert.Single(detector.Detect(image).Detections);

        float s = 1f / (1f + MathF.Exp(-10f));
        float cx = (0.5f * 2f + (1 - 0.5f)) * 16, cy = (0.5f * 2f + (1 - 0.5f)) * 16;
        Assert.Equal(DetectionModelKind.YoloV5Heads, detector.Kind);
        Assert.Equal(s * s, d.Score);
        Assert.Equal(-7f, cx - 62f / 2); // anchor (62, 45); the left edge is clipped to the image
        Assert.Equal((0f, cy - 45f / 2, cx + 62f / 2, cy + 45f / 2), (d.X1, d.Y1, d.X2, d.Y2));
    }

    private string PaddleModel(bool withScaleFactor)
    {
        float[] boxes = withScaleFactor
            ? [100, 50, 300, 250, 700, 300, 900, 620]  // image pixels: the graph divided by scale_factor
            : [80, 64, 240, 320, 560, 384, 720, 640];  // input pixels
        float[] scores = [0.8f, 0.1f, 0.05f, 0.6f];    // [C=2, N=2]
        var b = new OnnxModelBuilder();
        if (withScaleFactor) b.Input("im_shape", F, -1, 2);
        b.Input("image", F, -1, 3, 640, 640);
        if (withScaleFactor) b.Input("scale_factor", F, -1, 2);
        return b.Output("boxes", boxes, [1, 2, 4]).Output("scores", scores, [1, 2, 2])
            .Save(_dir.File(withScaleFactor ? "ppyoloe.onnx" : "picodet.onnx"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_paddle_model_gives_boxes_in_image_pixels_with_or_without_scale_factor(bool withScaleFactor)
    {
        var options = new DetectionOptions { Labels = ["screw", "washer"] };
        using var detector = ObjectDetector.Load(PaddleModel(withScaleFactor), options);
        using var image = Grey(800, 500); // stretched: x × 0.8, y × 1.28

        var d = detector.Detect(image).Detections;

        Assert.Equal(DetectionModelKind.PaddleDetection, detector.Kind);
        Assert.Equal(new Detection(0, "screw", 0.8f, 100, 50, 300, 250), d[0]);
        Assert.Equal(new Detection(1, "washer", 0.6f, 700, 300, 800, 500), d[1]); // clipped to the image
        Assert.Equal(2, d.Count);
    }

    [Fact]
    public void A_paddle_model_exported_with_nms_reads_its_rows_up_to_the_count()
    {
        float[] rows = [1, 0.9f, 10, 20, 30, 40, 0, 0.5f, 50, 60, 70, 80, 0, 0.95f, 1, 1, 2, 2];
        var path = new OnnxModelBuilder().Input("image", F, 1, 3, 320, 320).Input("scale_factor", F, 1, 2)
            .Output("multiclass_nms3_0.tmp_0", rows, [3, 6], declared: [-1, 6]).Output("multiclass_nms3_0.tmp_2", new[] { 2 }, [1])
            .Save(_dir.File("nms.onnx"));
        using var detector = ObjectDetector.Load(path);
        using var image = Grey(100, 100);

        var d = detector.Detect(image).Detections;

        Assert.Equal(DetectionModelKind.PaddleDetectionNms, detector.Kind);
        Assert.Equal([new Detection(1, "class_1", 0.9f, 10, 20, 30, 40), new Detection(0, "class_0", 0.5f, 50, 60, 70, 80)], d);
    }

    [Fact]
    public void Detecting_again_allocates_nothing_beyond_the_caller_list()
    {
        using var detector = ObjectDetector.Load(YoloV8Model());
        using var image = Grey(1000, 499);
        var detections = new List<Detection>(16);
        var allocations = Allocations.SteadyState(() =>
        {
            detections.Clear();
            detector.DetectInto(image, detections);
        }, warmUp: 2, windows: 4, callsPerWindow: 3);

        Assert.Equal(4, detections.Count);
        Assert.True(allocations.Bytes == 0, allocations.ToString());
    }

    [Fact]
    public void A_model_that_is_not_a_detector_is_rejected_with_its_name_and_outputs()
    {
        var path = new OnnxModelBuilder().Input("x", F, 1, 3, 224, 224).Output("logits", new float[10], [1, 10]).Save(_dir.File("classifier.onnx"));

        var e = Assert.Throws<InvalidDataException>(() => ObjectDetector.Load(path));

        Assert.Contains("classifier.onnx", e.Message);
        Assert.Contains("logits", e.Message);
    }

    [Fact]
    public void Unreadable_names_metadata_is_reported_with_the_model_name()
    {
        var e = Assert.Throws<InvalidDataException>(() => ObjectDetector.Load(YoloV8Model(names: "{0: scratch}")));
        Assert.Contains("v8.onnx", e.Message);
        Assert.Contains("names", e.Message);
    }

    [Fact]
    public void The_models_recommended_scores_per_class_are_read_from_its_min_score_metadata()
    {
        using (var plain = ObjectDetector.Load(YoloV8Model()))
            Assert.Null(plain.RecommendedMinScores);
        var path = YoloV8Model(minScore: "{\"dent\": 0.35, \"scratch\": 0.2}");
        using (var model = OnnxModel.Load(path))
            Assert.Equal(0.35f, ObjectDetector.ReadRecommendedMinScores(model)!["dent"]);
        using var detector = ObjectDetector.Load(path);
        var scores = detector.RecommendedMinScores!;
        Assert.Equal(2, scores.Count);
        Assert.Equal(0.2f, scores["scratch"]);
        Assert.Equal(0.35f, scores["dent"]);
        Assert.Equal("dent 0.35, scratch 0.2", RecommendedScores.Describe(scores));
    }

    [Fact]
    public void Labels_given_by_the_caller_rename_the_classes_and_keep_the_models_scores_by_id()
    {
        var path = YoloV8Model(minScore: "{\"dent\": 0.35, \"scratch\": 0.2}");
        var options = new DetectionOptions { Labels = ["hairline", "ding"] };

        using (var model = OnnxModel.Load(path))
            Assert.Equal(0.35f, ObjectDetector.ReadRecommendedMinScores(model, options)!["ding"]);
        using var detector = ObjectDetector.Load(path, options);

        Assert.Equal(["hairline", "ding"], detector.Labels.Names);
        Assert.Equal("hairline 0.2, ding 0.35", RecommendedScores.Describe(detector.RecommendedMinScores!.OrderBy(kv => kv.Value).ToDictionary()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Labels_that_do_not_match_the_models_class_count_are_refused(bool paddle)
    {
        var options = new DetectionOptions { Labels = ["scratch", "dent", "spot"] };

        var e = Assert.Throws<InvalidDataException>(() => ObjectDetector.Load(paddle ? PaddleModel(true) : YoloV8Model(), options));

        Assert.Contains($"{(paddle ? "ppyoloe" : "v8")}.onnx scores 2 classes, but 3 labels were given", e.Message);
    }

    [Theory]
    [InlineData("{\"scratch\": 0.2", "not JSON")]
    [InlineData("[0.2, 0.3]", "expected an object")]
    [InlineData("{\"crack\": 0.2}", "class 'crack' is not one of the model's (scratch, dent)")]
    [InlineData("{\"dent\": 1.5}", "dent = 1.5, expected a number 0..1")]
    [InlineData("{\"dent\": \"high\"}", "dent = \"high\", expected a number 0..1")]
    public void Unreadable_min_score_metadata_is_refused_naming_the_model_and_the_entry(string minScore, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => ObjectDetector.Load(YoloV8Model(minScore: minScore)));
        Assert.Contains("v8.onnx: metadata 'min_score'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Bad_options_are_named()
    {
        var e = Assert.Throws<ArgumentException>(() => ObjectDetector.Load(YoloV8Model(), new DetectionOptions { Iou = 0 }));
        Assert.Contains("Iou", e.Message);
    }
}
