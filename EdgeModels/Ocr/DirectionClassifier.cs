using System.Diagnostics;
using Edge.Models.Imaging;
using Edge.Models.Onnx;

namespace Edge.Models.Ocr;

/// <summary>The 0°/180° text direction classifier: regions it finds upside down get their corner order turned.</summary>
public sealed class DirectionClassifier : IDisposable
{
    internal const int Height = 48, Width = 192;
    internal static readonly ChannelNormalization Norm =
        ChannelNormalization.FromMeanStd([0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f], swapRB: true);

    private readonly OnnxModel _model;
    private readonly PinnedTensor<float> _input;
    private readonly RunOutputs _outputs = new();
    private readonly int _batch;
    private readonly float _threshold;
    private readonly long[] _shape = new long[4];

    public DirectionClassifier(OnnxModel model, OcrOptions options)
    {
        _model = model;
        _batch = options.ClsBatchSize;
        _threshold = options.ClsThreshold;
        _input = new PinnedTensor<float>(_batch * 3 * Height * Width);
    }

    public OnnxModel Model => _model;

    /// <summary>Turns every region classified as upside down (score above the threshold); sets <paramref name="flipped"/>. Returns model ticks.</summary>
    public long Classify(ImageBuffer image, Span<Quad> quads, Span<bool> flipped)
    {
        long modelTicks = 0;
        for (int start = 0; start < quads.Length; start += _batch)
        {
            int n = Math.Min(_batch, quads.Length - start);
            _shape[0] = n; _shape[1] = 3; _shape[2] = Height; _shape[3] = Width;
            var data = _input.Reshape(_shape);
            int item = 3 * Height * Width;
            for (int i = 0; i < n; i++)
            {
                var q = quads[start + i];
                int w = Math.Clamp((int)MathF.Ceiling(Height * q.Width / MathF.Max(q.Height, 1f)), 1, Width);
                QuadSampler.SampleToChw(image, q, w, Height, Width, 0f, Norm, data.Slice(i * item, item));
            }
            long t0 = Stopwatch.GetTimestamp();
            _model.Run(_input, _outputs);
            modelTicks += Stopwatch.GetTimestamp() - t0;
            var probs = _outputs.Get<float>(0);
            var shape = _outputs.Shape(0);
            if (shape.Length != 2 || shape[1] != 2)
                throw new InvalidDataException($"direction classifier output has shape [{string.Join(',', shape.ToArray())}], expected [N,2]");
            for (int i = 0; i < n; i++)
            {
                bool turn = probs[i * 2 + 1] > probs[i * 2] && probs[i * 2 + 1] > _threshold;
                flipped[start + i] = turn;
                if (turn) quads[start + i] = quads[start + i].Rotated180;
            }
        }
        return modelTicks;
    }

    public void Dispose()
    {
        _outputs.Dispose();
        _model.Dispose();
    }
}
