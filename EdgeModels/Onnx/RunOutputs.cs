using Edge.Models.Interop.Onnx;

namespace Edge.Models.Onnx;

/// <summary>
/// The outputs of one <see cref="OnnxModel.Run(ReadOnlySpan{TensorInput}, RunOutputs)"/>, in model
/// output order, held in ORT's memory without copying. Reuse one instance across runs: the previous
/// run's values are released when the next run starts or at <see cref="Dispose"/>, and spans from
/// <see cref="Get{T}"/> are only valid until then. Not thread-safe: one run at a time per instance.
/// </summary>
public sealed class RunOutputs : IDisposable
{
    internal OrtOutputs Native { get; } = new();

    /// <summary>Outputs of the last successful run; 0 before the first and after a failed run.</summary>
    public int Count
    {
        get
        {
            ObjectDisposedException.ThrowIf(Native.IsDisposed, this);
            return Native.Count;
        }
    }

    /// <summary>The elements of output <paramref name="index"/>; T must match its element type.</summary>
    /// <exception cref="InvalidOperationException">T does not match the output's element type.</exception>
    public ReadOnlySpan<T> Get<T>(int index) where T : unmanaged
    {
        var actual = ElementType(index);
        if (TensorElementTypes.Of<T>() != actual)
            throw new InvalidOperationException(
                $"output {index} holds {TensorElementTypes.Name(actual)} elements; Get<{typeof(T).Name}> cannot read them");
        return Native.Data<T>(index);
    }

    /// <summary>The dimensions of output <paramref name="index"/>.</summary>
    public ReadOnlySpan<long> Shape(int index)
    {
        CheckIndex(index);
        return Native.Shape(index);
    }

    public TensorElementType ElementType(int index)
    {
        CheckIndex(index);
        return Native.ElementType(index);
    }

    public void Dispose() => Native.Dispose();

    private void CheckIndex(int index)
    {
        ObjectDisposedException.ThrowIf(Native.IsDisposed, this);
        if ((uint)index >= (uint)Native.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"there are {Native.Count} outputs");
    }
}
