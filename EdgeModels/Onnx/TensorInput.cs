using System.Runtime.InteropServices;

namespace Edge.Models.Onnx;

/// <summary>
/// A tensor to feed a model. ORT reads its memory in place, so only pinned tensors from this
/// library (<see cref="PinnedTensor{T}"/>) can be inputs.
/// </summary>
public abstract class TensorInput
{
    private protected TensorInput() { }

    public abstract TensorElementType ElementType { get; }
    public abstract ReadOnlySpan<long> Shape { get; }

    /// <summary>The current elements as bytes, at an address that never moves (pinned object heap).</summary>
    internal abstract Span<byte> PinnedBytes { get; }
}

/// <summary>
/// An input tensor in a pinned array that is reused across runs: <see cref="Reshape"/> sets the
/// shape and hands back exactly that many elements, growing the array only when it is too small.
/// Element contents after a grow are unspecified: write every element before running.
/// </summary>
/// <typeparam name="T">float, byte, sbyte, int or long.</typeparam>
public sealed class PinnedTensor<T> : TensorInput where T : unmanaged
{
    private static readonly TensorElementType s_elementType = TensorElementTypes.Of<T>() switch
    {
        var type and (TensorElementType.Float or TensorElementType.UInt8 or TensorElementType.Int8
            or TensorElementType.Int32 or TensorElementType.Int64) => type,
        _ => TensorElementType.Undefined,
    };

    private T[] _data;
    private long[] _shape;
    private int _rank;
    private int _length;

    /// <summary>A tensor of shape [<paramref name="capacity"/>] until the first <see cref="Reshape"/>.</summary>
    public PinnedTensor(int capacity)
    {
        if (s_elementType == TensorElementType.Undefined)
            throw new NotSupportedException(
                $"PinnedTensor<{typeof(T).Name}> is not supported: use float, byte, sbyte, int or long");
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _data = GC.AllocateUninitializedArray<T>(capacity, pinned: true);
        _shape = [capacity, 0, 0, 0];
        _rank = 1;
        _length = capacity;
    }

    public int Capacity => _data.Length;
    public override TensorElementType ElementType => s_elementType;
    public override ReadOnlySpan<long> Shape => _shape.AsSpan(0, _rank);

    /// <summary>The current elements: product(<see cref="Shape"/>) of them.</summary>
    public Span<T> Span => _data.AsSpan(0, _length);

    /// <summary>Sets the shape and returns the span of exactly product(<paramref name="shape"/>) elements.</summary>
    public Span<T> Reshape(params ReadOnlySpan<long> shape)
    {
        long length = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long dim = shape[i];
            if (dim < 0 || (dim > 0 && length > Array.MaxLength / dim))
                throw new ArgumentOutOfRangeException(nameof(shape),
                    $"dimension {i} is {dim}: dims must be >= 0 and the element count at most {Array.MaxLength}");
            length *= dim;
        }
        if (length > _data.Length) _data = GC.AllocateUninitializedArray<T>((int)length, pinned: true);
        if (shape.Length > _shape.Length) _shape = new long[shape.Length];
        shape.CopyTo(_shape);
        _rank = shape.Length;
        _length = (int)length;
        return Span;
    }

    internal override Span<byte> PinnedBytes => MemoryMarshal.AsBytes(Span);
}
