using System.Globalization;
using System.Text.RegularExpressions;
using Edge.Models.Onnx;

namespace Edge.Models.Detection;

/// <summary>The output layouts <see cref="ObjectDetector"/> decodes.</summary>
public enum DetectionModelKind
{
    /// <summary>YOLOv5 with the Detect head in the graph: one output <c>[1, N, 5+C]</c> (cx, cy, w, h, objectness, classes).</summary>
    YoloV5,
    /// <summary>YOLOv5 exported without the Detect head: one raw output <c>[1, 3, H, W, 5+C]</c> per stride.</summary>
    YoloV5Heads,
    /// <summary>YOLOv8 / YOLO11 anchor-free: <c>[1, 4+C, N]</c> (or transposed <c>[1, N, 4+C]</c>), no objectness.</summary>
    YoloV8,
    /// <summary>PP-YOLOE / PicoDet without NMS: boxes <c>[1, N, 4]</c> and scores <c>[1, C, N]</c>; inputs image + scale_factor (+ im_shape).</summary>
    PaddleDetection,
    /// <summary>PaddleDetection exported with NMS: <c>[M, 6]</c> rows (class, score, x1, y1, x2, y2) and a count.</summary>
    PaddleDetectionNms,
}

/// <summary>What a detection model takes and gives, worked out once from its declared inputs, outputs and metadata.</summary>
public sealed record DetectionLayout
{
    public required DetectionModelKind Kind { get; init; }
    /// <summary>The model input that takes the image (NCHW float).</summary>
    public required int ImageInput { get; init; }
    /// <summary>Paddle's <c>scale_factor</c> input ([1,2]: resize ratio y, x), or -1.</summary>
    public int ScaleFactorInput { get; init; } = -1;
    /// <summary>Paddle's <c>im_shape</c> input ([1,2]: input height, width), or -1.</summary>
    public int ImShapeInput { get; init; } = -1;
    /// <summary>The input's fixed height and width, or -1 where dynamic.</summary>
    public int InputHeight { get; init; } = -1;
    public int InputWidth { get; init; } = -1;
    /// <summary>The main output: YOLO predictions, Paddle boxes or NMS rows.</summary>
    public int Output { get; init; }
    /// <summary>Paddle's scores output, or the NMS box count, or -1.</summary>
    public int SecondOutput { get; init; } = -1;
    /// <summary>YOLOv5 heads: anchors, 2 per anchor (w,h) per head, heads in ascending stride order.</summary>
    public float[] Anchors { get; init; } = [];

    public bool IsPaddle => Kind is DetectionModelKind.PaddleDetection or DetectionModelKind.PaddleDetectionNms;

    /// <summary>
    /// Works out the layout. Paddle: an input named <c>scale_factor</c> (or <c>im_shape</c>); with NMS when an
    /// output is <c>[M, 6]</c>. YOLO: rank-5 outputs are raw v5 heads; a single <c>[1, A, B]</c> output is v8
    /// when the metadata has Ultralytics' <c>task</c> key or a dim is 4 + the label count, v5 when the last dim
    /// is 5 + the label count, else v8 when the channel dim is the smaller one (84 vs 8400), v5 otherwise.
    /// </summary>
    /// <exception cref="InvalidDataException">the model fits no layout; the message names the file and shows its inputs and outputs.</exception>
    public static DetectionLayout Resolve(string modelName, IReadOnlyList<TensorInfo> inputs, IReadOnlyList<TensorInfo> outputs,
        IReadOnlyDictionary<string, string> metadata, int labelCount, DetectionModelKind? forced = null)
    {
        int image = -1, scale = -1, imShape = -1;
        for (int i = 0; i < inputs.Count; i++)
        {
            var name = inputs[i].Name;
            if (name.Equals("scale_factor", StringComparison.OrdinalIgnoreCase)) scale = i;
            else if (name.Equals("im_shape", StringComparison.OrdinalIgnoreCase)) imShape = i;
            else if (inputs[i].Shape.Length == 4 && image < 0) image = i;
        }
        if (image < 0 || inputs[image].ElementType != TensorElementType.Float || inputs[image].Shape[1] is not (3 or -1))
            throw Unsupported(modelName, inputs, outputs, "no float image input [1,3,H,W]");
        if (inputs.Count > 1 + (scale >= 0 ? 1 : 0) + (imShape >= 0 ? 1 : 0))
            throw Unsupported(modelName, inputs, outputs, "inputs other than the image, scale_factor and im_shape");
        var shape = inputs[image].Shape;
        var layout = new DetectionLayout
        {
            Kind = DetectionModelKind.YoloV8,
            ImageInput = image, ScaleFactorInput = scale, ImShapeInput = imShape,
            InputHeight = (int)shape[2], InputWidth = (int)shape[3],
        };

        var kind = forced ?? Guess(inputs, outputs, metadata, labelCount, scale >= 0 || imShape >= 0);
        switch (kind)
        {
            case DetectionModelKind.PaddleDetectionNms:
            {
                int rows = Find(outputs, o => o.Shape.Length == 2 && o.Shape[1] == 6);
                if (rows < 0) throw Unsupported(modelName, inputs, outputs, "PaddleDetection with NMS needs an output [M,6]");
                int count = Find(outputs, o => o.Shape.Length == 1 && o.ElementType is TensorElementType.Int32 or TensorElementType.Int64);
                return layout with { Kind = kind, Output = rows, SecondOutput = count };
            }
            case DetectionModelKind.PaddleDetection:
            {
                int boxes = Find(outputs, o => o.Shape.Length == 3 && o.Shape[2] == 4);
                int scores = Find(outputs, o => o.Shape.Length == 3 && o.Shape[2] != 4, exclude: boxes);
                if (boxes < 0 || scores < 0 || outputs.Count != 2)
                    throw Unsupported(modelName, inputs, outputs, "PaddleDetection needs two outputs, boxes [1,N,4] and scores [1,C,N]");
                return layout with { Kind = kind, Output = boxes, SecondOutput = scores };
            }
            case DetectionModelKind.YoloV5Heads:
            {
                if (outputs.Count == 0 || outputs.Any(o => o.Shape.Length != 5))
                    throw Unsupported(modelName, inputs, outputs, "YOLOv5 heads are rank-5 outputs [1,3,H,W,5+C]");
                var anchors = AnchorsFromMetadata(metadata, outputs.Count) ?? DefaultAnchors(outputs.Count);
                if (anchors is null)
                    throw Unsupported(modelName, inputs, outputs, $"{outputs.Count} YOLOv5 heads need an 'anchors' metadata entry (defaults exist for 3 heads)");
                return layout with { Kind = kind, Anchors = anchors };
            }
            default:
                if (outputs.Count != 1 || outputs[0].Shape.Length != 3)
                    throw Unsupported(modelName, inputs, outputs, $"{kind} needs one output of rank 3");
                return layout with { Kind = kind, Output = 0 };
        }
    }

    /// <summary>
    /// How many classes the model scores, read from its declared output shape (YOLOv8 4 + C, YOLOv5 5 + C, Paddle's
    /// scores <c>[1, C, N]</c>), or -1 where that dim is dynamic or the layout carries no class dim (Paddle with NMS).
    /// </summary>
    public int DeclaredClassCount(IReadOnlyList<TensorInfo> outputs, int labelCount)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        static int Minus(long dim, int n) => dim > n ? (int)(dim - n) : -1;
        switch (Kind)
        {
            case DetectionModelKind.YoloV8:
            {
                long a = outputs[Output].Shape[1], b = outputs[Output].Shape[2];
                if (a <= 0 || b <= 0) return -1;
                return Minus(IsChannelsFirst(a, b, labelCount) ? a : b, 4);
            }
            case DetectionModelKind.YoloV5:
                return Minus(outputs[Output].Shape[2], 5);
            case DetectionModelKind.YoloV5Heads:
                return Minus(outputs[0].Shape[4], 5);
            case DetectionModelKind.PaddleDetection:
                return Minus(outputs[SecondOutput].Shape[1], 0);
            default:
                return -1;
        }
    }

    /// <summary>For YOLOv8: whether an actual output <c>[1, A, B]</c> is channels first (A = 4 + C).</summary>
    public static bool IsChannelsFirst(long a, long b, int labelCount)
    {
        if (labelCount > 0 && a == 4 + labelCount) return true;
        if (labelCount > 0 && b == 4 + labelCount) return false;
        return a <= b;
    }

    private static DetectionModelKind Guess(IReadOnlyList<TensorInfo> inputs, IReadOnlyList<TensorInfo> outputs,
        IReadOnlyDictionary<string, string> metadata, int labelCount, bool paddleInputs)
    {
        if (paddleInputs)
            return outputs.Any(o => o.Shape.Length == 2 && o.Shape[1] == 6) ? DetectionModelKind.PaddleDetectionNms : DetectionModelKind.PaddleDetection;
        if (outputs.Count >= 1 && outputs.All(o => o.Shape.Length == 5)) return DetectionModelKind.YoloV5Heads;
        if (outputs.Count == 1 && outputs[0].Shape.Length == 3)
        {
            long a = outputs[0].Shape[1], b = outputs[0].Shape[2];
            if (metadata.ContainsKey("task")) return DetectionModelKind.YoloV8; // Ultralytics >= 8 writes it; YOLOv5's export does not
            if (labelCount > 0)
            {
                if (a == 4 + labelCount || b == 4 + labelCount) return DetectionModelKind.YoloV8;
                if (b == 5 + labelCount) return DetectionModelKind.YoloV5;
            }
            if (a > 0 && b > 0) return a < b ? DetectionModelKind.YoloV8 : DetectionModelKind.YoloV5;
            if (a > 0) return DetectionModelKind.YoloV8; // [1, 84, ?]
            return DetectionModelKind.YoloV5;            // [1, ?, 85] or fully dynamic
        }
        // Two outputs, one with 4-wide boxes: a Paddle model whose scale_factor input was folded away.
        if (outputs.Count == 2 && outputs.Any(o => o.Shape.Length == 3 && o.Shape[2] == 4)) return DetectionModelKind.PaddleDetection;
        if (outputs.Any(o => o.Shape.Length == 2 && o.Shape[1] == 6)) return DetectionModelKind.PaddleDetectionNms;
        return DetectionModelKind.YoloV8; // Resolve reports why it does not fit
    }

    /// <summary>Anchors from an <c>anchors</c> metadata entry: every number in it, in order (a flat list or nested lists), 6 per head.</summary>
    internal static float[]? AnchorsFromMetadata(IReadOnlyDictionary<string, string> metadata, int heads)
    {
        if (!metadata.TryGetValue("anchors", out var text)) return null;
        var values = Regex.Matches(text, @"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")
            .Select(m => float.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();
        if (values.Length != 6 * heads || values.Any(v => !(v > 0)))
            throw new InvalidDataException($"metadata 'anchors' = {text}: expected {6 * heads} positive numbers (3 w,h pairs for each of {heads} heads)");
        return values;
    }

    private static float[]? DefaultAnchors(int heads) => heads == 3 ? DetectionDecoders.DefaultYoloV5Anchors.ToArray() : null;

    private static int Find(IReadOnlyList<TensorInfo> outputs, Func<TensorInfo, bool> match, int exclude = -1)
    {
        for (int i = 0; i < outputs.Count; i++)
            if (i != exclude && match(outputs[i])) return i;
        return -1;
    }

    private static InvalidDataException Unsupported(string modelName, IReadOnlyList<TensorInfo> inputs, IReadOnlyList<TensorInfo> outputs, string why) =>
        new($"{modelName} is not a detection model this runtime can decode ({why}); inputs: {string.Join(", ", inputs)}; outputs: {string.Join(", ", outputs)}");
}
