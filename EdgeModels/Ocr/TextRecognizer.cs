using System.Numerics.Tensors;
using Edge.Models.Imaging;
using Edge.Models.Onnx;

namespace Edge.Models.Ocr;

/// <summary>
/// CTC text recognition. Regions are sorted by aspect ratio and read in batches (so each batch pads
/// little), and the results are written back in the caller's order.
/// </summary>
public sealed class TextRecognizer : IDisposable
{
    internal const int Height = 48;

    private readonly ModelRunner _runner;
    private readonly CharacterDictionary _dictionary;
    private readonly int _batch, _minWidth, _maxWidth;
    private float[] _ratios = new float[64];
    private int[] _order = new int[64];
    private char[] _text = new char[256];

    public TextRecognizer(OnnxModel model, CharacterDictionary dictionary, OcrOptions options)
    {
        _dictionary = dictionary;
        _batch = options.RecBatchSize;
        _minWidth = options.RecMinWidth;
        _maxWidth = options.RecMaxWidth;
        _runner = new ModelRunner(model, _batch * 3 * Height * Math.Max(_minWidth, 640));
        if (model.Outputs.Count > 0)
        {
            var classes = model.Outputs[0].Shape[^1];
            if (classes > 0 && classes != dictionary.ClassCount)
                throw new InvalidDataException($"recogniser {Path.GetFileName(model.ModelPath)} has {classes} classes but the dictionary gives {dictionary.ClassCount} (its lines + blank + space): wrong dictionary for this model?");
        }
    }

    public OnnxModel Model => _runner.Model;

    /// <summary>
    /// Reads every region; writes text and mean confidence per region. Returns model ticks.
    /// <paramref name="cells"/>, when not empty, gives per region a count of character cells: a region
    /// with n &gt; 0 is an upright column cut into n square cells that are laid side by side.
    /// </summary>
    public long Recognize(ImageBuffer image, ReadOnlySpan<Quad> quads, ReadOnlySpan<int> cells, Span<string> texts, Span<float> scores)
    {
        int count = quads.Length;
        if (count == 0) return 0;
        if (_ratios.Length < count) { _ratios = new float[count * 2]; _order = new int[count * 2]; }
        for (int i = 0; i < count; i++)
        {
            _ratios[i] = cells.Length > 0 && cells[i] > 0 ? cells[i] : quads[i].Width / MathF.Max(quads[i].Height, 1f);
            _order[i] = i;
        }
        Array.Sort(_ratios, _order, 0, count);

        long modelTicks = 0;
        for (int start = 0; start < count; start += _batch)
        {
            int n = Math.Min(_batch, count - start);
            float maxRatio = _ratios[start + n - 1];
            int tensorW = Math.Clamp(RoundUp8((int)MathF.Ceiling(Height * maxRatio)), _minWidth, _maxWidth);
            var data = _runner.Input(n, 3, Height, tensorW);
            int item = 3 * Height * tensorW;
            for (int i = 0; i < n; i++)
            {
                int region = _order[start + i];
                var dest = data.Slice(i * item, item);
                int cellCount = cells.Length > 0 ? cells[region] : 0;
                if (cellCount > 0)
                {
                    int cell = Math.Max(1, Math.Min(Height, tensorW / cellCount));
                    for (int c = 0; c < cellCount; c++)
                    {
                        var q = quads[region].SliceDown((float)c / cellCount, (float)(c + 1) / cellCount);
                        QuadSampler.SampleToChw(image, q, c * cell, cell, Height, tensorW, 0f, fillPadding: c == cellCount - 1, DirectionClassifier.Norm, dest);
                    }
                    continue;
                }
                int w = Math.Clamp((int)MathF.Ceiling(Height * _ratios[start + i]), 1, tensorW);
                QuadSampler.SampleToChw(image, quads[region], w, Height, tensorW, 0f, DirectionClassifier.Norm, dest);
            }
            modelTicks += _runner.Run();

            var shape = _runner.Outputs.Shape(0);
            if (shape.Length != 3 || shape[0] != n || shape[2] != _dictionary.ClassCount)
                throw new InvalidDataException($"recogniser output has shape {_runner.ShapeText()}, expected [{n},T,{_dictionary.ClassCount}]: is {Model.ModelPath} a CTC text recogniser?");
            int steps = (int)shape[1], classes = (int)shape[2];
            var probs = _runner.Outputs.Get<float>(0);
            for (int i = 0; i < n; i++)
            {
                int target = _order[start + i];
                (texts[target], scores[target]) = Decode(probs.Slice(i * steps * classes, steps * classes), steps, classes);
            }
        }
        return modelTicks;
    }

    /// <summary>Greedy CTC: best class per step, repeats merged, blanks dropped; score is the mean of the kept steps' probabilities.</summary>
    private (string Text, float Score) Decode(ReadOnlySpan<float> probs, int steps, int classes)
    {
        int length = 0, kept = 0, previous = -1;
        float sum = 0;
        for (int t = 0; t < steps; t++)
        {
            var row = probs.Slice(t * classes, classes);
            int best = TensorPrimitives.IndexOfMax(row);
            if (best != 0 && best != previous)
            {
                var s = _dictionary[best];
                if (length + s.Length > _text.Length) Array.Resize(ref _text, _text.Length * 2);
                s.CopyTo(_text.AsSpan(length));
                length += s.Length;
                sum += row[best];
                kept++;
            }
            previous = best;
        }
        return kept == 0 ? ("", 0f) : (new string(_text, 0, length), sum / kept);
    }

    private static int RoundUp8(int v) => (v + 7) & ~7;

    public void Dispose() => _runner.Dispose();
}
