using Edge.Models.Imaging;
using Edge.Models.Onnx;

namespace Edge.Models.Ocr;

/// <summary>DB text detection: resize + normalise into the input tensor, run, post-process the probability map.</summary>
public sealed class TextDetector : IDisposable
{
    // PaddleOCR's det normalisation, applied to OpenCV's BGR channel order.
    private static readonly ChannelNormalization Norm =
        ChannelNormalization.FromMeanStd([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], swapRB: true);

    private readonly ModelRunner _runner;
    private readonly DbPostProcessor _post;
    private readonly int _limitSide;

    public TextDetector(OnnxModel model, OcrOptions options)
    {
        _runner = new ModelRunner(model, 3 * 640 * 640);
        _limitSide = options.DetLimitSide;
        _post = new DbPostProcessor
        {
            Threshold = options.DetThreshold,
            BoxThreshold = options.DetBoxThreshold,
            UnclipRatio = options.DetUnclipRatio,
            MaxCandidates = options.DetMaxCandidates,
        };
    }

    public OnnxModel Model => _runner.Model;

    /// <summary>The detector input size for an image: longer side at most the limit, both sides multiples of 32 (PaddleOCR's resize_image_type0).</summary>
    public static (int Width, int Height) InputSize(int width, int height, int limitSide)
    {
        float ratio = Math.Max(width, height) > limitSide ? (float)limitSide / Math.Max(width, height) : 1f;
        int w = Math.Max((int)MathF.Round(width * ratio / 32f) * 32, 32);
        int h = Math.Max((int)MathF.Round(height * ratio / 32f) * 32, 32);
        return (w, h);
    }

    /// <summary>Appends the regions found in <paramref name="image"/> (reading order) and returns the model's run time in ticks.</summary>
    public long Detect(ImageBuffer image, List<TextRegion> regions)
    {
        var (w, h) = InputSize(image.Width, image.Height, _limitSide);
        TensorWriter.ResizeNormalizeToChw(image, w, h, Norm, _runner.Input(1, 3, h, w));
        long modelTicks = _runner.Run();
        var shape = _runner.Outputs.Shape(0);
        if (shape.Length != 4 || shape[2] != h || shape[3] != w)
            throw new InvalidDataException($"detector output has shape {_runner.ShapeText()}, expected [1,1,{h},{w}]: is {Model.ModelPath} a DB text detector?");
        _post.Process(_runner.Outputs.Get<float>(0), w, h, image.Width, image.Height, regions);
        DbPostProcessor.SortReadingOrder(regions);
        return modelTicks;
    }

    public void Dispose() => _runner.Dispose();
}
