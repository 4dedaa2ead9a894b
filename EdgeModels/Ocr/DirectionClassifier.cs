using Edge.Models.Imaging;
using Edge.Models.Onnx;

namespace Edge.Models.Ocr;

/// <summary>The 0°/180° text direction classifier: regions it finds upside down get their corner order turned.</summary>
public sealed class DirectionClassifier : IDisposable
{
    internal const int Height = 48, Width = 192;
    internal static readonly ChannelNormalization Norm =
        ChannelNormalization.FromMeanStd([0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f], swapRB: true);

    private readonly ModelRunner _runner;
    private readonly int _batch;
    private readonly float _threshold;

    public DirectionClassifier(OnnxModel model, OcrOptions options)
    {
        _batch = options.ClsBatchSize;
        _threshold = options.ClsThreshold;
        _runner = new ModelRunner(model, _batch * 3 * Height * Width);
    }

    public OnnxModel Model => _runner.Model;

    /// <summary>Turns every region classified as upside down (score above the threshold); sets <paramref name="flipped"/>. Returns model ticks.</summary>
    public long Classify(ImageBuffer image, Span<Quad> quads, Span<bool> flipped)
    {
        long modelTicks = 0;
        for (int start = 0; start < quads.Length; start += _batch)
        {
            int n = Math.Min(_batch, quads.Length - start);
            var data = _runner.Input(n, 3, Height, Width);
            int item = 3 * Height * Width;
            for (int i = 0; i < n; i++)
            {
                var q = quads[start + i];
                int w = Math.Clamp((int)MathF.Ceiling(Height * q.Width / MathF.Max(q.Height, 1f)), 1, Width);
                QuadSampler.SampleToChw(image, q, w, Height, Width, 0f, Norm, data.Slice(i * item, item));
            }
            modelTicks += _runner.Run();
            var probs = _runner.Outputs.Get<float>(0);
            var shape = _runner.Outputs.Shape(0);
            if (shape.Length != 2 || shape[1] != 2)
                throw new InvalidDataException($"direction classifier output has shape {_runner.ShapeText()}, expected [N,2]: is {Model.ModelPath} a text direction classifier?");
            for (int i = 0; i < n; i++)
            {
                bool turn = probs[i * 2 + 1] > probs[i * 2] && probs[i * 2 + 1] > _threshold;
                flipped[start + i] = turn;
                if (turn) quads[start + i] = quads[start + i].Rotated180;
            }
        }
        return modelTicks;
    }

    public void Dispose() => _runner.Dispose();
}
