using System.Runtime.CompilerServices;
using System.Text;

namespace Edge.Models.Onnx;

/// <summary><c>ONNXTensorElementDataType</c>; the values are the C enum's.</summary>
public enum TensorElementType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7,
    String = 8, Bool = 9, Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13,
}

/// <summary>
/// A model input or output as the model declares it. <see cref="Shape"/> holds -1 for a dynamic
/// dimension; <see cref="SymbolicDims"/> holds its name where the model gives one.
/// </summary>
public sealed record TensorInfo(string Name, TensorElementType ElementType, long[] Shape, string?[] SymbolicDims)
{
    /// <summary>e.g. <c>x: float[?,3,?,?]</c>, or <c>x: float[batch,3,h,w]</c> when the dims are named.</summary>
    public override string ToString() => $"{Name}: {TypeAndShape(symbolic: true)}";

    /// <summary>e.g. <c>float[?,3,?,?]</c>; dynamic dims as <c>?</c> unless <paramref name="symbolic"/> and named.</summary>
    public string TypeAndShape(bool symbolic = false)
    {
        var text = new StringBuilder(TensorElementTypes.Name(ElementType)).Append('[');
        for (int i = 0; i < Shape.Length; i++)
        {
            if (i > 0) text.Append(',');
            if (Shape[i] >= 0) text.Append(Shape[i]);
            else if (symbolic && i < SymbolicDims.Length && !string.IsNullOrEmpty(SymbolicDims[i])) text.Append(SymbolicDims[i]);
            else text.Append('?');
        }
        return text.Append(']').ToString();
    }
}

internal static class TensorElementTypes
{
    /// <summary>The ONNX name, as in <c>float[1,3,48,192]</c>.</summary>
    public static string Name(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.Int8 => "int8",
        TensorElementType.UInt16 => "uint16",
        TensorElementType.Int16 => "int16",
        TensorElementType.Int32 => "int32",
        TensorElementType.Int64 => "int64",
        TensorElementType.String => "string",
        TensorElementType.Bool => "bool",
        TensorElementType.Float16 => "float16",
        TensorElementType.Double => "double",
        TensorElementType.UInt32 => "uint32",
        TensorElementType.UInt64 => "uint64",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>The element type a CLR type maps to, or Undefined; folds to a constant per T after JIT.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TensorElementType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? TensorElementType.Float
        : typeof(T) == typeof(byte) ? TensorElementType.UInt8
        : typeof(T) == typeof(sbyte) ? TensorElementType.Int8
        : typeof(T) == typeof(ushort) ? TensorElementType.UInt16
        : typeof(T) == typeof(short) ? TensorElementType.Int16
        : typeof(T) == typeof(int) ? TensorElementType.Int32
        : typeof(T) == typeof(long) ? TensorElementType.Int64
        : typeof(T) == typeof(bool) ? TensorElementType.Bool
        : typeof(T) == typeof(Half) ? TensorElementType.Float16
        : typeof(T) == typeof(double) ? TensorElementType.Double
        : typeof(T) == typeof(uint) ? TensorElementType.UInt32
        : typeof(T) == typeof(ulong) ? TensorElementType.UInt64
        : TensorElementType.Undefined;

    /// <summary>A shape as text, e.g. <c>[1,4,32,32]</c>; only for messages.</summary>
    public static string Format(TensorElementType type, ReadOnlySpan<long> shape)
    {
        var text = new StringBuilder(Name(type)).Append('[');
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(shape[i]);
        }
        return text.Append(']').ToString();
    }
}
