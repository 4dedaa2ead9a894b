using System.Diagnostics;
using Edge.Models.Imaging;
using Edge.Models.Onnx;
using Microsoft.Extensions.Logging;

namespace Edge.Models.Ocr;

/// <summary>One line of text found in an image. <see cref="Box"/> is the detected region in image pixels.</summary>
public sealed record OcrLine(string Text, float Score, Quad Box, bool Vertical, bool UpsideDown);

/// <summary>Milliseconds per stage for one image; the *Model figures are the time spent inside ONNX Runtime.</summary>
public readonly record struct OcrTimings(
    double DecodeMs, double DetMs, double ClsMs, double RecMs, double TotalMs,
    double DetModelMs, double ClsModelMs, double RecModelMs)
{
    public double ModelMs => DetModelMs + ClsModelMs + RecModelMs;
}

public sealed record OcrResult(IReadOnlyList<OcrLine> Lines, OcrTimings Timings)
{
    public string Text => string.Join('\n', Lines.Select(l => l.Text));
}

/// <summary>
/// The PP-OCR pipeline: detect → direction-classify → recognise, over buffers it keeps between images
/// so the steady state allocates only the results. Not thread-safe: use one engine per worker.
/// </summary>
public sealed class OcrEngine : IDisposable
{
    private readonly TextDetector _detector;
    private readonly DirectionClassifier? _classifier;
    private readonly TextRecognizer _recognizer;
    private readonly OcrOptions _options;
    private readonly ImageBuffer _decoded = new();
    private readonly List<TextRegion> _regions = new();
    private Quad[] _quads = new Quad[64];
    private bool[] _flipped = new bool[64];
    private bool[] _vertical = new bool[64];
    private string[] _texts = new string[64];
    private float[] _scores = new float[64];
    private int[] _cells = new int[64];
    private bool _disposed;

    private OcrEngine(TextDetector detector, DirectionClassifier? classifier, TextRecognizer recognizer, OcrOptions options)
    {
        _detector = detector;
        _classifier = classifier;
        _recognizer = recognizer;
        _options = options;
    }

    public OcrOptions Options => _options;

    /// <summary>The execution provider the detector ended up on (all three models share the configuration).</summary>
    public ExecutionProvider Provider => _detector.Model.Provider;

    public IEnumerable<OnnxModel> Models
    {
        get
        {
            yield return _detector.Model;
            if (_classifier is not null) yield return _classifier.Model;
            yield return _recognizer.Model;
        }
    }

    /// <summary>Loads the three models (in parallel) and the dictionary; validates options and files first.</summary>
    public static OcrEngine Load(OcrModelSet models, OcrOptions? options = null, ILogger? logger = null)
    {
        options ??= OcrOptions.Default;
        options.Validate();
        models.EnsureExists();
        var dictionary = CharacterDictionary.Load(models.DictionaryPath);
        var det = Task.Run(() => OnnxModel.Load(models.DetectorPath, options.Session, logger));
        var cls = options.UseDirectionClassifier ? Task.Run(() => OnnxModel.Load(models.ClassifierPath, options.Session, logger)) : null;
        OnnxModel? rec = null;
        try
        {
            rec = OnnxModel.Load(models.RecognizerPath, options.Session, logger);
            var recognizer = new TextRecognizer(rec, dictionary, options);
            var detector = new TextDetector(det.GetAwaiter().GetResult(), options);
            var classifier = cls is null ? null : new DirectionClassifier(cls.GetAwaiter().GetResult(), options);
            return new OcrEngine(detector, classifier, recognizer, options);
        }
        catch
        {
            rec?.Dispose();
            if (det.IsCompletedSuccessfully) det.Result.Dispose();
            if (cls is { IsCompletedSuccessfully: true }) cls.Result.Dispose();
            throw;
        }
    }

    /// <summary>Runs every model once on a small synthetic card so the first real image is not slow.</summary>
    public void Warmup()
    {
        using var image = new ImageBuffer(320, 96, PixelFormat.Rgb24);
        image.Data.Fill(255);
        for (int y = 36; y < 60; y++)
            image.Data.Slice(y * image.Stride + 40 * 3, 240 * 3).Fill(0);
        Read(image);
    }

    /// <summary>Decodes an image file (PNG or JPEG) and reads it.</summary>
    public OcrResult Read(string path)
    {
        long t0 = Stopwatch.GetTimestamp();
        ImageCodec.Load(path, _decoded, PixelFormat.Rgb24);
        double decodeMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var lines = new List<OcrLine>();
        var timings = ReadInto(_decoded, lines);
        return new OcrResult(lines, timings with { DecodeMs = decodeMs, TotalMs = timings.TotalMs + decodeMs });
    }

    public OcrResult Read(ImageBuffer image)
    {
        var lines = new List<OcrLine>();
        return new OcrResult(lines, ReadInto(image, lines));
    }

    /// <summary>
    /// Reads <paramref name="image"/> and appends its lines, in reading order, to <paramref name="lines"/>:
    /// top to bottom and left to right, except that an image holding only vertical columns is read
    /// column by column from the right, as vertical Chinese is written, and an image whose lines are
    /// all upside down is read from the card's own top (the bottom of the image).
    /// </summary>
    public OcrTimings ReadInto(ImageBuffer image, List<OcrLine> lines)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long start = Stopwatch.GetTimestamp();
        _regions.Clear();
        long detModel = _detector.Detect(image, _regions);
        long afterDet = Stopwatch.GetTimestamp();

        int n = _regions.Count;
        EnsureCapacity(n);
        if (n > 1 && AllVertical(_regions)) SortRightToLeft(_regions);
        var quads = _quads.AsSpan(0, n);
        for (int i = 0; i < n; i++)
        {
            var q = _regions[i].Box;
            _vertical[i] = q.Height >= _options.VerticalAspect * q.Width;
            quads[i] = _vertical[i] ? q.RotatedCounterClockwise : q;
            _flipped[i] = false;
        }
        long clsModel = _classifier?.Classify(image, quads, _flipped.AsSpan(0, n)) ?? 0;
        long afterCls = Stopwatch.GetTimestamp();

        bool cellsMode = _options.VerticalMode == VerticalTextMode.Cells;
        for (int i = 0; i < n; i++)
        {
            _cells[i] = 0;
            if (!cellsMode || !_vertical[i]) continue;
            // Back to the upright column (upside down if the classifier turned it), cut into square cells.
            quads[i] = quads[i].RotatedClockwise;
            _cells[i] = Math.Max(1, (int)MathF.Round(quads[i].Height / MathF.Max(quads[i].Width, 1f)));
        }
        long recModel = _recognizer.Recognize(image, quads, cellsMode ? _cells.AsSpan(0, n) : default, _texts.AsSpan(0, n), _scores.AsSpan(0, n));
        // A card handed over upside down is read from its own top, which is the bottom of the image.
        bool allFlipped = n > 0 && _flipped.AsSpan(0, n).IndexOf(false) < 0;
        for (int k = 0; k < n; k++)
        {
            int i = allFlipped ? n - 1 - k : k;
            if (_scores[i] < _options.DropScore || _texts[i].Length == 0) continue;
            lines.Add(new OcrLine(_texts[i], _scores[i], _regions[i].Box, _vertical[i], _flipped[i]));
        }
        long end = Stopwatch.GetTimestamp();
        return new OcrTimings(
            DecodeMs: 0,
            DetMs: Ms(afterDet - start), ClsMs: Ms(afterCls - afterDet), RecMs: Ms(end - afterCls), TotalMs: Ms(end - start),
            DetModelMs: Ms(detModel), ClsModelMs: Ms(clsModel), RecModelMs: Ms(recModel));
    }

    private bool AllVertical(List<TextRegion> regions)
    {
        foreach (var r in regions)
            if (r.Box.Height < _options.VerticalAspect * r.Box.Width) return false;
        return true;
    }

    /// <summary>Columns of vertical writing are read from the right (a couplet's first line hangs on the right).</summary>
    private static void SortRightToLeft(List<TextRegion> regions) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(regions)
            .Sort(static (a, b) => b.Box.Center.X.CompareTo(a.Box.Center.X));

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private void EnsureCapacity(int n)
    {
        if (_quads.Length >= n) return;
        int size = Math.Max(n, _quads.Length * 2);
        _quads = new Quad[size];
        _flipped = new bool[size];
        _vertical = new bool[size];
        _texts = new string[size];
        _scores = new float[size];
        _cells = new int[size];
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _detector.Dispose();
        _classifier?.Dispose();
        _recognizer.Dispose();
        _decoded.Dispose();
    }
}
