using Edge.Models.Detection;
using Edge.Models.Onnx;

namespace Edge.Models.Tests.Detection;

public class DetectionLayoutTests
{
    private static TensorInfo T(string name, params long[] shape) => new(name, TensorElementType.Float, shape, new string?[shape.Length]);
    private static readonly TensorInfo[] YoloInput = [T("images", 1, 3, 640, 640)];
    private static readonly Dictionary<string, string> NoMetadata = new();

    private static DetectionModelKind Kind(TensorInfo[] inputs, TensorInfo[] outputs, Dictionary<string, string>? metadata = null, int labels = 0) =>
        DetectionLayout.Resolve("m.onnx", inputs, outputs, metadata ?? NoMetadata, labels).Kind;

    [Fact]
    public void A_channels_first_output_is_yolov8()
    {
        Assert.Equal(DetectionModelKind.YoloV8, Kind(YoloInput, [T("output0", 1, 84, 8400)]));
        Assert.Equal(DetectionModelKind.YoloV8, Kind(YoloInput, [T("output0", 1, 84, -1)]));
    }

    [Fact]
    public void A_boxes_first_output_is_yolov5_unless_its_width_is_4_plus_the_label_count()
    {
        Assert.Equal(DetectionModelKind.YoloV5, Kind(YoloInput, [T("output0", 1, 25200, 85)]));
        Assert.Equal(DetectionModelKind.YoloV5, Kind(YoloInput, [T("output0", 1, -1, 85)]));
        Assert.Equal(DetectionModelKind.YoloV5, Kind(YoloInput, [T("output0", 1, 25200, 85)], labels: 80));
        Assert.Equal(DetectionModelKind.YoloV8, Kind(YoloInput, [T("output0", 1, 8400, 84)], labels: 80));
    }

    [Fact]
    public void Ultralytics_task_metadata_marks_yolov8_whatever_the_orientation()
    {
        Assert.Equal(DetectionModelKind.YoloV8, Kind(YoloInput, [T("output0", 1, 8400, 84)], new() { ["task"] = "detect" }));
    }

    [Fact]
    public void Three_rank_5_outputs_are_raw_yolov5_heads_with_the_default_anchors()
    {
        var layout = DetectionLayout.Resolve("m.onnx", YoloInput, [T("a", 1, 3, 80, 80, 85), T("b", 1, 3, 40, 40, 85), T("c", 1, 3, 20, 20, 85)], NoMetadata, 0);

        Assert.Equal(DetectionModelKind.YoloV5Heads, layout.Kind);
        Assert.Equal(DetectionDecoders.DefaultYoloV5Anchors.ToArray(), layout.Anchors);
    }

    [Fact]
    public void Anchors_metadata_replaces_the_defaults_and_bad_anchors_are_named()
    {
        TensorInfo[] heads = [T("a", 1, 3, 8, 8, 6), T("b", 1, 3, 4, 4, 6)];
        var layout = DetectionLayout.Resolve("m.onnx", YoloInput, heads, new Dictionary<string, string> { ["anchors"] = "[[1,2, 3,4, 5,6], [7,8, 9,10, 11,12.5]]" }, 0);
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5f], layout.Anchors);

        Assert.Throws<InvalidDataException>(() => DetectionLayout.Resolve("m.onnx", YoloInput, heads, NoMetadata, 0));
        var e = Assert.Throws<InvalidDataException>(() => DetectionLayout.Resolve("m.onnx", YoloInput, heads, new Dictionary<string, string> { ["anchors"] = "1,2,3" }, 0));
        Assert.Contains("anchors", e.Message);
    }

    [Fact]
    public void Scale_factor_input_with_boxes_and_scores_is_paddle_detection()
    {
        TensorInfo[] inputs = [T("im_shape", -1, 2), T("image", -1, 3, 640, 640), T("scale_factor", -1, 2)];
        var layout = DetectionLayout.Resolve("m.onnx", inputs, [T("scores", 1, 80, 8400), T("boxes", 1, 8400, 4)], NoMetadata, 0);

        Assert.Equal(DetectionModelKind.PaddleDetection, layout.Kind);
        Assert.Equal((1, 2, 0), (layout.ImageInput, layout.ScaleFactorInput, layout.ImShapeInput));
        Assert.Equal((1, 0), (layout.Output, layout.SecondOutput));
        Assert.Equal((640, 640), (layout.InputWidth, layout.InputHeight));
    }

    [Fact]
    public void An_m_by_6_output_with_a_count_is_paddle_detection_with_nms()
    {
        TensorInfo[] inputs = [T("image", -1, 3, -1, -1), T("scale_factor", -1, 2)];
        TensorInfo count = new("num", TensorElementType.Int32, [1], [null]);
        var layout = DetectionLayout.Resolve("m.onnx", inputs, [T("rows", -1, 6), count], NoMetadata, 0);

        Assert.Equal(DetectionModelKind.PaddleDetectionNms, layout.Kind);
        Assert.Equal((0, 1), (layout.Output, layout.SecondOutput));
        Assert.Equal((-1, -1), (layout.InputWidth, layout.InputHeight));
    }

    [Fact]
    public void A_model_that_fits_no_layout_is_named_with_its_outputs()
    {
        var e = Assert.Throws<InvalidDataException>(() => Kind(YoloInput, [T("probabilities", 1, 1000)]));
        Assert.Contains("m.onnx", e.Message);
        Assert.Contains("probabilities", e.Message);

        e = Assert.Throws<InvalidDataException>(() => Kind([T("tokens", 1, 128)], [T("output0", 1, 84, 8400)]));
        Assert.Contains("image input", e.Message);
    }

    [Theory]
    [InlineData(84, 8400, 0, true)]
    [InlineData(8400, 84, 0, false)]
    [InlineData(6, 5, 2, true)]   // fewer boxes than channels: the label count decides
    [InlineData(5, 6, 2, false)]
    public void The_yolov8_orientation_follows_the_label_count_then_the_smaller_dim(long a, long b, int labels, bool channelsFirst)
    {
        Assert.Equal(channelsFirst, DetectionLayout.IsChannelsFirst(a, b, labels));
    }
}
