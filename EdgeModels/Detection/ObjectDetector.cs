using System.Diagnostics;
using Edge.Models.Imaging;
using Edge.Models.Onnx;
using Microsoft.Extensions.Logging;

namespace Edge.Models.Detection;

/// <summary>
/// An object detector: letterbox (or stretch) into the model's input, run, decode the layout the model has
/// (<see cref="DetectionModelKind"/>), NMS, map boxes back to image pixels. Buffers are kept between images,
/// so <see cref="DetectInto"/> allocates nothing once warm. Owns its model, and its <see cref="Verifier"/> when one is
/// attached (<see cref="AttachVerifier(DetectionVerifier)"/>). Not thread-safe: one detector per worker.
/// </summary>
public sealed class ObjectDetector : IDisposable
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    private static readonly float[] Zero = [0f, 0f, 0f];
    private static readonly float[] One = [1f, 1f, 1f];

    private readonly OnnxModel _model;
    private readonly ScoreThresholds _thresholds;
    private readonly NonMaxSuppression _nms;
    private readonly ChannelNormalization _fromRgb, _fromBgr;
    private readonly PinnedTensor<float> _image = new(3 * 640 * 640);
    private readonly PinnedTensor<float>? _scaleFactor, _imShape;
    private readonly TensorInput[] _inputs;
    private readonly RunOutputs _outputs = new();
    private readonly List<BoxCandidate> _candidates = new(1024);
    private readonly ImageBuffer _decoded = new();
    private readonly long[] _shape = new long[4];
    private DetectionVerifier? _verifier;
    private bool _disposed;

    /// <summary>Wraps a loaded model (and takes ownership of it); works out its layout and labels.</summary>
    /// <exception cref="InvalidDataException">the model fits no known layout, or its label or <c>min_score</c> metadata cannot be read.</exception>
    public ObjectDetector(OnnxModel model, DetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= DetectionOptions.Default;
        options.Validate();
        Options = options;
        var name = Path.GetFileName(model.ModelPath);
        Labels = ResolveLabels(model, options);
        Layout = DetectionLayout.Resolve(name, model.Inputs, model.Outputs, model.Metadata, Labels.Count, options.Kind);
        if (options.Labels is { } given && Layout.DeclaredClassCount(model.Outputs, given.Count) is > 0 and var declared && declared != given.Count)
            throw new InvalidDataException($"{name} scores {declared} classes, but {given.Count} labels were given: a labels file names each of the model's classes, one per line");
        RecommendedMinScores = MinScores(model, Labels, options);
        _model = model;
        _thresholds = new ScoreThresholds(options.Confidence, options.ClassConfidence);
        _nms = new NonMaxSuppression { IouThreshold = options.Iou, MaxDetections = options.MaxDetections, ClassAgnostic = options.ClassAgnostic };
        float[] mean = Layout.IsPaddle ? options.Mean ?? ImageNetMean : Zero, std = Layout.IsPaddle ? options.Std ?? ImageNetStd : One;
        _fromRgb = ChannelNormalization.FromMeanStd(mean, std, swapRB: false);
        _fromBgr = ChannelNormalization.FromMeanStd(mean, std, swapRB: true);
        _inputs = new TensorInput[model.Inputs.Count];
        _inputs[Layout.ImageInput] = _image;
        if (Layout.ScaleFactorInput >= 0) _inputs[Layout.ScaleFactorInput] = _scaleFactor = new PinnedTensor<float>(2);
        if (Layout.ImShapeInput >= 0) _inputs[Layout.ImShapeInput] = _imShape = new PinnedTensor<float>(2);
    }

    /// <summary>
    /// The per-class lowest scores <paramref name="model"/> recommends, read before a detector is made (a caller that
    /// lets the model's thresholds decide must set <see cref="DetectionOptions.Confidence"/> no higher than the lowest).
    /// </summary>
    /// <exception cref="InvalidDataException">the label or <c>min_score</c> metadata cannot be read.</exception>
    public static IReadOnlyDictionary<string, float>? ReadRecommendedMinScores(OnnxModel model, DetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= DetectionOptions.Default;
        return MinScores(model, ResolveLabels(model, options), options);
    }

    /// <summary>
    /// The <c>min_score</c> metadata by the detector's class names. It is keyed by the model's own names, so where the
    /// caller renames the classes (<see cref="DetectionOptions.Labels"/>, a labels file) it is read against the
    /// model's <c>names</c> and carried over by class id.
    /// </summary>
    private static IReadOnlyDictionary<string, float>? MinScores(OnnxModel model, DetectionLabels labels, DetectionOptions options)
    {
        var name = Path.GetFileName(model.ModelPath);
        DetectionLabels? own = null;
        if (options.Labels is not null)
        {
            try { own = DetectionLabels.FromMetadata(model.Metadata); }
            catch (FormatException) { } // unreadable names: the given ones are all there is
        }
        if (own is null) return RecommendedScores.FromMetadata(name, model.Metadata, labels.Names);
        var byOwn = RecommendedScores.FromMetadata(name, model.Metadata, own.Names);
        if (byOwn is null) return null;
        var renamed = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var (ownName, score) in byOwn)
        {
            int id = Array.IndexOf(own.Names.ToArray(), ownName);
            if (id < labels.Count) renamed[labels[id]] = score;
        }
        return renamed;
    }

    /// <summary>The class names a detector made from <paramref name="model"/> with <paramref name="options"/> would have (<see cref="Labels"/>), read before it is made.</summary>
    /// <exception cref="InvalidDataException">the label metadata cannot be read.</exception>
    public static DetectionLabels ReadLabels(OnnxModel model, DetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ResolveLabels(model, options ?? DetectionOptions.Default);
    }

    private static DetectionLabels ResolveLabels(OnnxModel model, DetectionOptions options)
    {
        try
        {
            return options.Labels is { } given ? new DetectionLabels(given) : DetectionLabels.FromMetadata(model.Metadata) ?? DetectionLabels.Empty;
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{Path.GetFileName(model.ModelPath)}: the 'names' metadata cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Loads the model at <paramref name="modelPath"/> and wraps it; see <see cref="OnnxModel.Load"/> for the load errors.</summary>
    public static ObjectDetector Load(string modelPath, DetectionOptions? options = null, ILogger? logger = null)
    {
        options ??= DetectionOptions.Default;
        options.Validate();
        var model = OnnxModel.Load(modelPath, options.Session, logger);
        try
        {
            return new ObjectDetector(model, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public OnnxModel Model => _model;
    public DetectionOptions Options { get; }
    public DetectionLayout Layout { get; }
    public DetectionModelKind Kind => Layout.Kind;
    public DetectionLabels Labels { get; }

    /// <summary>The per-class lowest scores the model recommends (its <c>min_score</c> metadata, <see cref="RecommendedScores"/>), or null.</summary>
    public IReadOnlyDictionary<string, float>? RecommendedMinScores { get; }

    /// <summary>The second look at uncertain boxes, when one is attached (<see cref="AttachVerifier(DetectionVerifier)"/>).</summary>
    public DetectionVerifier? Verifier => _verifier;

    /// <summary>
    /// Attaches a verifier and takes ownership of it (it is disposed with the detector): from now on each kept box of the
    /// verifier's class scoring at least its <see cref="DetectionVerifier.From"/> (and under its <see cref="DetectionVerifier.To"/>)
    /// gets <see cref="Detection.Verified"/>.
    /// On an exception the caller keeps ownership. A box the detector's own threshold (<see cref="DetectionOptions.Confidence"/>)
    /// drops is never looked at: keep it no higher than <see cref="DetectionVerifier.From"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">the detector is a PaddleDetection model (its input is not the letterboxed RGB/255 image verifiers are trained on).</exception>
    /// <exception cref="ArgumentException">the verifier was resolved against other labels than this detector's.</exception>
    /// <exception cref="InvalidOperationException">a verifier is already attached.</exception>
    public void AttachVerifier(DetectionVerifier verifier)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(verifier);
        if (Layout.IsPaddle)
            throw new NotSupportedException($"{Path.GetFileName(_model.ModelPath)} is a {Layout.Kind} model: a verifier ({Path.GetFileName(verifier.ModelPath)}) needs a YOLOv5/YOLOv8 detector, whose input is the letterboxed RGB/255 image it reads its crops from");
        if ((uint)verifier.ClassId >= (uint)Labels.Count || Labels[verifier.ClassId] != verifier.ClassName)
            throw new ArgumentException($"{Path.GetFileName(verifier.ModelPath)} checks class '{verifier.ClassName}' (id {verifier.ClassId}), which is not that id among {Path.GetFileName(_model.ModelPath)}'s classes ({string.Join(", ", Labels.Names)})", nameof(verifier));
        if (_verifier is not null)
            throw new InvalidOperationException($"{Path.GetFileName(_model.ModelPath)} already has a verifier ({Path.GetFileName(_verifier.ModelPath)})");
        _verifier = verifier;
    }

    /// <summary>
    /// Loads the verifier at <paramref name="path"/> against this detector's labels, with its session settings, and attaches it
    /// (<see cref="AttachVerifier(DetectionVerifier)"/>); see <see cref="DetectionVerifier.Load"/> for the load errors.
    /// </summary>
    public DetectionVerifier AttachVerifier(string path, ILogger? logger = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Layout.IsPaddle)
            throw new NotSupportedException($"{Path.GetFileName(_model.ModelPath)} is a {Layout.Kind} model: a verifier ({Path.GetFileName(path)}) needs a YOLOv5/YOLOv8 detector, whose input is the letterboxed RGB/255 image it reads its crops from");
        var verifier = DetectionVerifier.Load(path, Labels.Names, Options.Session, logger);
        try
        {
            AttachVerifier(verifier);
            return verifier;
        }
        catch
        {
            verifier.Dispose();
            throw;
        }
    }

    /// <summary>Where an image of this size goes in the model's input.</summary>
    public LetterboxTransform Plan(int width, int height)
    {
        bool fixedSize = Layout.InputWidth > 0 && Layout.InputHeight > 0;
        if (Layout.IsPaddle)
            return fixedSize ? LetterboxTransform.Stretch(width, height, Layout.InputWidth, Layout.InputHeight)
                             : LetterboxTransform.Stretch(width, height, Options.InputSize, Options.InputSize);
        return fixedSize ? LetterboxTransform.Fit(width, height, Layout.InputWidth, Layout.InputHeight)
                         : LetterboxTransform.FitDynamic(width, height, Options.InputSize);
    }

    /// <summary>Runs the model (and the <see cref="Verifier"/>, which a grey image gives no box to) once on a grey image so the first real image is not slow.</summary>
    public void Warmup()
    {
        using var image = new ImageBuffer(320, 240, PixelFormat.Rgb24);
        image.Data.Fill(114);
        DetectInto(image, new List<Detection>());
        if (_verifier is { } v)
        {
            int w = (int)_shape[3], h = (int)_shape[2];
            v.Verify(_image.Span, w, h, w / 2f - 8, h / 2f - 8, w / 2f + 8, h / 2f + 8);
        }
    }

    /// <summary>Decodes an image file (PNG or JPEG) and detects objects in it; the timings include the decode.</summary>
    public DetectionResult Detect(string path)
    {
        long t0 = Stopwatch.GetTimestamp();
        ImageCodec.Load(path, _decoded, PixelFormat.Rgb24);
        double decodeMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var detections = new List<Detection>();
        var t = DetectInto(_decoded, detections);
        return new DetectionResult(detections, t with { DecodeMs = decodeMs, TotalMs = t.TotalMs + decodeMs });
    }

    public DetectionResult Detect(ImageBuffer image)
    {
        var detections = new List<Detection>();
        return new DetectionResult(detections, DetectInto(image, detections));
    }

    /// <summary>
    /// Appends the objects in <paramref name="image"/> (Rgb24 or Bgr24) to <paramref name="detections"/>, best
    /// score first, boxes in image pixels clipped to the image. With a <see cref="Verifier"/>, each box of its class scoring at
    /// least its <see cref="DetectionVerifier.From"/> (and under its <see cref="DetectionVerifier.To"/>) is looked at on the input the detector ran on (before the box is mapped
    /// back to the image) and carries the verifier's probability in <see cref="Detection.Verified"/>. Allocates nothing once warm.
    /// </summary>
    public DetectionTimings DetectInto(ImageBuffer image, List<Detection> detections)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(detections);
        if (image.Format is not (PixelFormat.Rgb24 or PixelFormat.Bgr24))
            throw new ArgumentException($"detection needs an Rgb24 or Bgr24 image, not {image.Format}", nameof(image));
        long start = Stopwatch.GetTimestamp();
        var t = Plan(image.Width, image.Height);
        _shape[0] = 1; _shape[1] = 3; _shape[2] = t.InputHeight; _shape[3] = t.InputWidth;
        var norm = image.Format == PixelFormat.Bgr24 ? _fromBgr : _fromRgb;
        Letterbox.WriteChw(image, t, Letterbox.YoloPadValue, norm, _image.Reshape(_shape));
        if (_scaleFactor is not null)
        {
            var s = _scaleFactor.Reshape(1, 2);
            s[0] = t.ScaleY;
            s[1] = t.ScaleX;
        }
        if (_imShape is not null)
        {
            var s = _imShape.Reshape(1, 2);
            s[0] = t.InputHeight;
            s[1] = t.InputWidth;
        }
        long afterPre = Stopwatch.GetTimestamp();
        _model.Run(_inputs, _outputs);
        long afterModel = Stopwatch.GetTimestamp();

        _candidates.Clear();
        Decode(t);
        int kept = _nms.Apply(_candidates);
        // Paddle graphs given scale_factor divide by it themselves: their boxes are already in image pixels.
        bool inImagePixels = Layout.IsPaddle && Layout.ScaleFactorInput >= 0;
        long verifyTicks = 0;
        int verified = 0;
        for (int i = 0; i < kept; i++)
        {
            var c = _candidates[i];
            float x1 = c.X1, y1 = c.Y1, x2 = c.X2, y2 = c.Y2;
            float probability = float.NaN;
            if (_verifier is { } v && v.Applies(c.ClassId, c.Score))
            {
                // Candidate boxes are still in input pixels here, as the verifier's crops are cut.
                long v0 = Stopwatch.GetTimestamp();
                probability = v.Verify(_image.Span, t.InputWidth, t.InputHeight, x1, y1, x2, y2);
                verifyTicks += Stopwatch.GetTimestamp() - v0;
                verified++;
            }
            if (inImagePixels)
            {
                x1 = Math.Clamp(x1, 0f, image.Width); x2 = Math.Clamp(x2, 0f, image.Width);
                y1 = Math.Clamp(y1, 0f, image.Height); y2 = Math.Clamp(y2, 0f, image.Height);
            }
            else
            {
                t.BoxToSource(ref x1, ref y1, ref x2, ref y2);
            }
            detections.Add(new Detection(c.ClassId, Labels[c.ClassId], c.Score, x1, y1, x2, y2, probability));
        }
        long end = Stopwatch.GetTimestamp();
        return new DetectionTimings(0, Ms(afterPre - start), Ms(afterModel - afterPre), Ms(end - afterModel - verifyTicks), Ms(end - start),
            Ms(verifyTicks), verified);
    }

    private void Decode(in LetterboxTransform t)
    {
        switch (Layout.Kind)
        {
            case DetectionModelKind.YoloV8:
            {
                var shape = Rank(Layout.Output, 3);
                bool channelsFirst = DetectionLayout.IsChannelsFirst(shape[1], shape[2], Labels.Count);
                int channels = (int)(channelsFirst ? shape[1] : shape[2]), boxes = (int)(channelsFirst ? shape[2] : shape[1]);
                DetectionDecoders.YoloV8(_outputs.Get<float>(Layout.Output), channels, boxes, channelsFirst, _thresholds, _candidates);
                break;
            }
            case DetectionModelKind.YoloV5:
            {
                var shape = Rank(Layout.Output, 3);
                DetectionDecoders.YoloV5(_outputs.Get<float>(Layout.Output), (int)shape[2], (int)shape[1], _thresholds, _candidates);
                break;
            }
            case DetectionModelKind.YoloV5Heads:
            {
                int index = 0;
                for (int i = 0; i < _outputs.Count; i++)
                {
                    var shape = Rank(i, 5);
                    int h = (int)shape[2], w = (int)shape[3], stride = t.InputHeight / Math.Max(h, 1);
                    if (h <= 0 || w <= 0 || stride * h != t.InputHeight || stride * w != t.InputWidth)
                        throw new InvalidDataException($"{Path.GetFileName(_model.ModelPath)}: head {i} is {h}x{w}, which does not divide the {t.InputWidth}x{t.InputHeight} input evenly");
                    // Heads are matched to anchor sets by stride: the finest grid takes the first set.
                    int rank = 0;
                    for (int j = 0; j < _outputs.Count; j++)
                        if (j != i && (_outputs.Shape(j)[2] > h || (_outputs.Shape(j)[2] == h && j < i))) rank++;
                    int na = (int)shape[1];
                    var anchors = Layout.Anchors.AsSpan(rank * 6, 6);
                    if (na != 3) throw new InvalidDataException($"{Path.GetFileName(_model.ModelPath)}: head {i} has {na} anchors; YOLOv5 heads have 3");
                    index = DetectionDecoders.YoloV5Head(_outputs.Get<float>(i), na, h, w, (int)shape[4], stride, anchors, _thresholds, _candidates, index);
                }
                break;
            }
            case DetectionModelKind.PaddleDetection:
            {
                var boxes = Rank(Layout.Output, 3);
                var scores = Rank(Layout.SecondOutput, 3);
                if (scores[2] != boxes[1])
                    throw new InvalidDataException($"{Path.GetFileName(_model.ModelPath)}: scores [1,{scores[1]},{scores[2]}] do not match boxes [1,{boxes[1]},4]");
                DetectionDecoders.PaddleBoxesScores(_outputs.Get<float>(Layout.Output), _outputs.Get<float>(Layout.SecondOutput), (int)scores[1], (int)boxes[1], _thresholds, _candidates);
                break;
            }
            case DetectionModelKind.PaddleDetectionNms:
            {
                int valid = -1;
                if (Layout.SecondOutput >= 0)
                {
                    valid = _outputs.ElementType(Layout.SecondOutput) == TensorElementType.Int64
                        ? (int)Math.Min(_outputs.Get<long>(Layout.SecondOutput)[0], int.MaxValue)
                        : _outputs.Get<int>(Layout.SecondOutput)[0];
                }
                DetectionDecoders.PaddleNms(_outputs.Get<float>(Layout.Output), valid, _thresholds, _candidates);
                break;
            }
        }
    }

    private ReadOnlySpan<long> Rank(int output, int rank)
    {
        var shape = _outputs.Shape(output);
        if (shape.Length != rank || (rank >= 3 && shape[0] != 1))
            throw new InvalidDataException($"{Path.GetFileName(_model.ModelPath)}: output {output} has shape [{string.Join(',', shape.ToArray())}], expected rank {rank} with batch 1 for {Layout.Kind}");
        return shape;
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _outputs.Dispose();
        _model.Dispose();
        _verifier?.Dispose();
        _decoded.Dispose();
    }
}
