using System.Diagnostics;
using Edge.Models.Onnx;

namespace Edge.Models.Ocr;

/// <summary>
/// One model with its reusable NCHW float input and outputs: what every OCR stage runs. Owns the
/// model; a stage swaps models by swapping its runner.
/// </summary>
internal sealed class ModelRunner(OnnxModel model, int initialCapacity) : IDisposable
{
    private readonly PinnedTensor<float> _input = new(initialCapacity);
    private readonly long[] _shape = new long[4];

    public OnnxModel Model { get; } = model;
    public RunOutputs Outputs { get; } = new();

    /// <summary>Shapes the input to [n, c, h, w] and returns its elements to fill.</summary>
    public Span<float> Input(int n, int c, int h, int w)
    {
        _shape[0] = n; _shape[1] = c; _shape[2] = h; _shape[3] = w;
        return _input.Reshape(_shape);
    }

    /// <summary>Runs the model on the input; returns the time spent inside ONNX Runtime, in Stopwatch ticks.</summary>
    public long Run()
    {
        long t0 = Stopwatch.GetTimestamp();
        Model.Run(_input, Outputs);
        return Stopwatch.GetTimestamp() - t0;
    }

    /// <summary>Output <paramref name="index"/>'s shape as text, for error messages.</summary>
    public string ShapeText(int index = 0) => "[" + string.Join(',', Outputs.Shape(index).ToArray()) + "]";

    public void Dispose()
    {
        Outputs.Dispose();
        Model.Dispose();
    }
}
