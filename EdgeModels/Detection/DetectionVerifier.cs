using System.Globalization;
using Edge.Models.Onnx;
using Microsoft.Extensions.Logging;

namespace Edge.Models.Detection;

/// <summary>
/// A second look at a detector's uncertain boxes: a small classifier (the "verifier") that reads a crop around one
/// candidate box and gives the probability that it holds a defect. The crop is cut from the detector's own input tensor
/// (the letterboxed RGB/255 CHW image it ran on), <see cref="CropSize"/> pixels square around the box's centre, with the
/// box drawn as a fourth channel (<see cref="WriteCrop"/>). A detection of <see cref="ClassName"/> whose score is at least
/// <see cref="From"/> (and under <see cref="To"/>, when the band has one) is looked at; the decision rules count it when the
/// verifier gives at least <see cref="Min"/>. With a <see cref="To"/>, a box from <see cref="From"/> up to it counts only
/// then, even one above its class's threshold: the second look vetoes as well as confirms.
/// <para>
/// The model's contract: one float input <c>[1, 4, C, C]</c>, one float output with one element (a probability), and
/// metadata <c>task</c> = <c>verify</c>, <c>class</c> (the detector class it checks, by name), <c>crop</c> = C and
/// <c>band</c> = <c>{"from": F, "min": M}</c> or <c>{"from": F, "to": T, "min": M}</c> (F &lt; T); <c>letterbox_pad</c>, <c>normalize</c> and <c>channels</c>, when present,
/// must be <c>114</c>, <c>rgb/255</c> and <c>r,g,b,box</c>. Owns its model; reuses its buffers, so <see cref="Verify"/>
/// allocates nothing once warm. Not thread-safe: one verifier per detector.
/// </para>
/// </summary>
public sealed class DetectionVerifier : IDisposable
{
    /// <summary>The <c>task</c> metadata a verifier carries.</summary>
    public const string Task = "verify";

    /// <summary>The grey outside the detector's input, as the letterbox pads (114/255).</summary>
    public const float PadValue = Letterbox.YoloPadValue / 255f;

    private readonly OnnxModel _model;
    private readonly PinnedTensor<float> _crop;
    private readonly RunOutputs _outputs = new();
    private bool _disposed;

    /// <summary>Wraps a loaded verifier (and takes ownership of it), checking its contract against the detector's <paramref name="labels"/>.</summary>
    /// <exception cref="InvalidDataException">the model breaks the contract; the message names the file and the bad item.</exception>
    public DetectionVerifier(OnnxModel model, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(labels);
        var name = Path.GetFileName(model.ModelPath);
        var meta = model.Metadata;
        string Required(string key, string example) =>
            meta.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim()
                : throw new InvalidDataException($"{name}: metadata '{key}' is missing (a verifier carries e.g. {key} = {example})");

        var task = Required("task", Task);
        if (task != Task) throw new InvalidDataException($"{name}: metadata 'task' = {task}, a verifier's is '{Task}' (is this a detector?)");
        ClassName = Required("class", "scratch");
        ClassId = -1;
        for (int i = 0; i < labels.Count; i++)
            if (string.Equals(labels[i], ClassName, StringComparison.Ordinal)) { ClassId = i; break; }
        if (ClassId < 0)
            throw new InvalidDataException($"{name}: metadata 'class' = {ClassName} is not one of the detector's classes ({string.Join(", ", labels)})");
        var cropText = Required("crop", "64");
        if (!int.TryParse(cropText, NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size is < 1 or > 1024)
            throw new InvalidDataException($"{name}: metadata 'crop' = {cropText}, expected the crop's side in pixels (1..1024)");
        CropSize = size;
        (From, To, Min) = ReadBand(name, Required("band", "{\"from\": 0.5, \"min\": 0.5}"));
        CheckOptional(name, meta, "letterbox_pad", Letterbox.YoloPadValue.ToString(CultureInfo.InvariantCulture));
        CheckOptional(name, meta, "normalize", "rgb/255");
        CheckOptional(name, meta, "channels", "r,g,b,box");

        if (model.Inputs.Count != 1)
            throw new InvalidDataException($"{name}: a verifier has one input [1,4,{size},{size}]; this one has {model.Inputs.Count} ({string.Join(", ", model.Inputs)})");
        var input = model.Inputs[0];
        var s = input.Shape;
        bool Dim(int d, long want) => s[d] == want || s[d] < 0;
        if (input.ElementType != TensorElementType.Float || s.Length != 4 || !Dim(0, 1) || !Dim(1, 4) || !Dim(2, size) || !Dim(3, size))
            throw new InvalidDataException($"{name}: input {input} does not fit the verifier's crop: expected float[1,4,{size},{size}] (4 channels r,g,b,box; 'crop' = {size})");
        if (model.Outputs.Count != 1)
            throw new InvalidDataException($"{name}: a verifier has one output (the probability, float[1,1]); this one has {model.Outputs.Count} ({string.Join(", ", model.Outputs)})");
        var output = model.Outputs[0];
        if (output.ElementType != TensorElementType.Float || output.Shape.Any(d => d > 1) || output.Shape.Any(d => d == 0))
            throw new InvalidDataException($"{name}: output {output} is not one probability: expected float[1,1]");

        _model = model;
        _crop = new PinnedTensor<float>(4 * size * size);
        _crop.Reshape(1, 4, size, size);
    }

    /// <summary>
    /// Loads the verifier at <paramref name="path"/> for a detector whose classes are <paramref name="labels"/>;
    /// see <see cref="OnnxModel.Load"/> for the load errors.
    /// </summary>
    /// <exception cref="InvalidDataException">the model breaks the contract; the message names the file and the bad item.</exception>
    public static DetectionVerifier Load(string path, IReadOnlyList<string> labels, OnnxSessionConfig? session = null, ILogger? logger = null)
    {
        var model = OnnxModel.Load(path, session, logger);
        try
        {
            return new DetectionVerifier(model, labels);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Where a detector's verifier lives: <c>dir/NAME-verifier.onnx</c> for <c>dir/NAME.onnx</c> and for its INT8 twin
    /// <c>dir/NAME-int8.onnx</c> (the verifier is small and stays FP32 for both).
    /// </summary>
    public static string PathBeside(string detectorPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(detectorPath);
        var name = Path.GetFileNameWithoutExtension(detectorPath);
        if (name.EndsWith("-int8", StringComparison.OrdinalIgnoreCase)) name = name[..^"-int8".Length];
        return Path.Combine(Path.GetDirectoryName(detectorPath) ?? "", name + "-verifier.onnx");
    }

    /// <summary>The full path the verifier was loaded from.</summary>
    public string ModelPath => _model.ModelPath;

    public OnnxModel Model => _model;

    /// <summary>The detector class it checks (its <c>class</c> metadata).</summary>
    public string ClassName { get; }

    /// <summary><see cref="ClassName"/>'s id among the detector's labels.</summary>
    public int ClassId { get; }

    /// <summary>The lowest detector score that is looked at (<c>band.from</c>).</summary>
    public float From { get; private set; }

    /// <summary>The lowest verifier probability that makes a looked-at detection count (<c>band.min</c>).</summary>
    public float Min { get; private set; }

    /// <summary>
    /// The detector score from which boxes are no longer looked at (<c>band.to</c>): from <see cref="From"/> up to it the
    /// verifier decides alone, above it the class's threshold does. +∞ when the band has no <c>to</c>: then every box from
    /// <see cref="From"/> up is looked at, and the verifier only adds boxes under the class's threshold.
    /// </summary>
    public float To { get; private set; }

    /// <summary>Whether the band has a <c>to</c> (<see cref="To"/> is finite): the verifier can veto boxes above the class's threshold.</summary>
    public bool Vetoes => float.IsFinite(To);

    /// <summary>The band in force: the file's <c>band</c> metadata, or the one <see cref="SetBand"/> set.</summary>
    public VerifierBand Band => new(From, Vetoes ? To : null, Min);

    /// <summary>
    /// Replaces the file's band with <paramref name="band"/> (a line's own, chosen on its parts), before the detector runs
    /// with it. The detector must keep boxes down to the new <see cref="From"/> for them to be looked at.
    /// </summary>
    /// <exception cref="ArgumentException">a value outside 0..1, or <c>to</c> not above <c>from</c>; the message names <paramref name="source"/>.</exception>
    public void SetBand(VerifierBand band, string source)
    {
        band.Validate(source);
        (From, To, Min) = (band.From, band.To ?? float.PositiveInfinity, band.Min);
    }

    /// <summary>The crop's side in pixels (<c>crop</c> metadata).</summary>
    public int CropSize { get; }

    /// <summary>Whether a detection of <paramref name="classId"/> scored <paramref name="score"/> is looked at.</summary>
    public bool Applies(int classId, float score) => classId == ClassId && score >= From && score < To;

    /// <summary>
    /// The verifier's probability (0..1) that the box (x1, y1, x2, y2 in the detector's input pixels) holds a defect,
    /// from <paramref name="chwInput"/>, the detector's input (3 planes of <paramref name="inputWidth"/> ×
    /// <paramref name="inputHeight"/>, RGB/255). Allocates nothing once warm.
    /// </summary>
    /// <exception cref="InvalidDataException">the model gave other than one value.</exception>
    public float Verify(ReadOnlySpan<float> chwInput, int inputWidth, int inputHeight, float x1, float y1, float x2, float y2)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteCrop(chwInput, inputWidth, inputHeight, x1, y1, x2, y2, CropSize, _crop.Span);
        _model.Run(_crop, _outputs);
        var p = _outputs.Get<float>(0);
        if (p.Length != 1) ThrowNotOneValue(p.Length);
        return p[0];
    }

    /// <summary>
    /// Builds the verifier's input, <paramref name="crop"/> = [4, size, size] (CHW: crop[c, j, i], j the row), from the
    /// detector's input <paramref name="chwInput"/> ([3, inputHeight, inputWidth]) around the box (x1, y1, x2, y2) in input
    /// pixels, as the training code (<c>verifier.py crop</c>) does: centre (cx, cy) = floor((x1 + x2) / 2),
    /// floor((y1 + y2) / 2); origin (x0, y0) = centre − size / 2; channels 0..2 the input's pixel (x0 + i, y0 + j) where it
    /// lies inside the input, else <see cref="PadValue"/>; channel 3 is 1 where floor(x1) − x0 ≤ i &lt; ceil(x2) − x0 and
    /// floor(y1) − y0 ≤ j &lt; ceil(y2) − y0, else 0.
    /// </summary>
    public static void WriteCrop(ReadOnlySpan<float> chwInput, int inputWidth, int inputHeight, float x1, float y1, float x2, float y2, int size, Span<float> crop)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        int plane = inputWidth * inputHeight, cropPlane = size * size;
        if (chwInput.Length < 3 * plane)
            throw new ArgumentException($"the input holds {chwInput.Length} floats; 3x{inputHeight}x{inputWidth} needs {3 * plane}", nameof(chwInput));
        if (crop.Length < 4 * cropPlane)
            throw new ArgumentException($"the crop holds {crop.Length} floats; 4x{size}x{size} needs {4 * cropPlane}", nameof(crop));
        // The same float arithmetic as the reference: (x1 + x2) / 2 in single precision, then floor.
        int x0 = Pixel(MathF.Floor((x1 + x2) / 2)) - size / 2, y0 = Pixel(MathF.Floor((y1 + y2) / 2)) - size / 2;
        // Columns of the crop that fall inside the input: [inLo, inHi).
        int inLo = Math.Clamp(-x0, 0, size), inHi = Math.Clamp(inputWidth - x0, inLo, size);
        for (int c = 0; c < 3; c++)
        {
            var from = chwInput.Slice(c * plane, plane);
            var to = crop.Slice(c * cropPlane, cropPlane);
            for (int j = 0; j < size; j++)
            {
                var row = to.Slice(j * size, size);
                int y = y0 + j;
                if (y < 0 || y >= inputHeight || inHi <= inLo)
                {
                    row.Fill(PadValue);
                    continue;
                }
                row[..inLo].Fill(PadValue);
                from.Slice(y * inputWidth + x0 + inLo, inHi - inLo).CopyTo(row[inLo..inHi]);
                row[inHi..].Fill(PadValue);
            }
        }
        var mask = crop.Slice(3 * cropPlane, cropPlane);
        mask.Clear();
        int mx0 = Math.Clamp(Pixel(MathF.Floor(x1)) - x0, 0, size), mx1 = Math.Clamp(Pixel(MathF.Ceiling(x2)) - x0, 0, size);
        int my0 = Math.Clamp(Pixel(MathF.Floor(y1)) - y0, 0, size), my1 = Math.Clamp(Pixel(MathF.Ceiling(y2)) - y0, 0, size);
        if (mx1 > mx0)
            for (int j = my0; j < my1; j++) mask.Slice(j * size + mx0, mx1 - mx0).Fill(1f);
    }

    /// <summary>A whole-number coordinate as an int; far-off (or NaN) boxes land well outside any crop without overflow.</summary>
    private static int Pixel(float whole) => float.IsNaN(whole) ? 0 : (int)Math.Clamp(whole, -1e8f, 1e8f);

    private static (float From, float To, float Min) ReadBand(string name, string text)
    {
        var where = MetadataJson.Where(name, "band", text);
        using var doc = MetadataJson.ParseObject(name, "band", text,
            "an object {\"from\": detector score, \"min\": verifier probability} with an optional \"to\": detector score above \"from\", e.g. {\"from\": 0.5, \"to\": 0.85, \"min\": 0.5}");
        float Get(string key) => doc.RootElement.TryGetProperty(key, out var v)
            ? MetadataJson.UnitNumber(where, key, v)
            : throw new InvalidDataException($"{where}: '{key}' is missing, expected a number 0..1");
        float from = Get("from"), min = Get("min");
        float to = float.PositiveInfinity;
        if (doc.RootElement.TryGetProperty("to", out var t))
        {
            to = MetadataJson.UnitNumber(where, "to", t);
            if (to <= from)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{where}: 'to' = {to} is not above 'from' = {from}; the band's boxes score from 'from' up to 'to'"));
        }
        return (from, to, min);
    }

    private static void CheckOptional(string name, IReadOnlyDictionary<string, string> meta, string key, string expected)
    {
        if (meta.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) && v.Trim() != expected)
            throw new InvalidDataException($"{name}: metadata '{key}' = {v}, the runtime builds crops with {key} = {expected}");
    }

    private void ThrowNotOneValue(int count) =>
        throw new InvalidDataException($"{Path.GetFileName(_model.ModelPath)}: the verifier gave {count} values, expected one probability");

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _outputs.Dispose();
        _model.Dispose();
    }
}
