using System.Runtime.InteropServices;
using System.Text;

namespace Edge.Models.Tests.Detection;

/// <summary>
/// Writes small ONNX models byte by byte (a minimal protobuf writer for ModelProto), so tests can run
/// crafted detector outputs through the real ONNX Runtime without Python. Each constant output is an
/// initializer passed through an Identity node; declared inputs may go unused (ORT accepts that). A
/// <see cref="Linear"/> output reads an input: Flatten then MatMul with given weights.
/// Field numbers are onnx.proto's.
/// </summary>
internal sealed class OnnxModelBuilder
{
    public const int Float = 1, Int32 = 6, Int64 = 7;

    private readonly List<(string Name, int Type, long[] Dims)> _inputs = new();
    private readonly List<(string Name, int Type, long[] Dims, byte[] Raw, long[] ConstantDims)> _outputs = new();
    private readonly List<(string Key, string Value)> _metadata = new();
    private readonly List<(string Input, string Name, float[] Weights)> _linear = new();

    /// <summary>A graph input; a dim of -1 is written as a named symbolic dim.</summary>
    public OnnxModelBuilder Input(string name, int type, params long[] dims)
    {
        _inputs.Add((name, type, dims));
        return this;
    }

    /// <summary>An output that always holds <paramref name="values"/> with shape <paramref name="dims"/>; <paramref name="declared"/> overrides the declared shape (-1 = dynamic).</summary>
    public OnnxModelBuilder Output(string name, float[] values, long[] dims, long[]? declared = null) =>
        AddOutput(name, Float, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims, declared);

    public OnnxModelBuilder Output(string name, int[] values, long[] dims, long[]? declared = null) =>
        AddOutput(name, Int32, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims, declared);

    /// <summary>
    /// An output [1, 1] = Σ input[i] × <paramref name="weights"/>[i] over the input flattened per batch item (row-major):
    /// Flatten(<paramref name="input"/>) MatMul weights [K, 1].
    /// </summary>
    public OnnxModelBuilder Linear(string input, string name, float[] weights)
    {
        _linear.Add((input, name, weights));
        return this;
    }

    public OnnxModelBuilder Metadata(string key, string value)
    {
        _metadata.Add((key, value));
        return this;
    }

    public string Save(string path)
    {
        File.WriteAllBytes(path, Build());
        return path;
    }

    public byte[] Build()
    {
        var graph = new Proto();
        foreach (var (name, _, _, _, _) in _outputs)
            graph.Message(1, new Proto().String(1, "c_" + name).String(2, name).String(3, "identity_" + name).String(4, "Identity")); // NodeProto
        foreach (var (input, name, _) in _linear)
        {
            graph.Message(1, new Proto().String(1, input).String(2, "flat_" + name).String(3, "flatten_" + name).String(4, "Flatten"));
            graph.Message(1, new Proto().String(1, "flat_" + name).String(1, "w_" + name).String(2, name).String(3, "matmul_" + name).String(4, "MatMul"));
        }
        graph.String(2, "detector");
        foreach (var (_, name, weights) in _linear)
        {
            var tensor = new Proto().Varint(1, weights.Length).Varint(1, 1).Varint(2, Float).String(8, "w_" + name)
                .Bytes(9, MemoryMarshal.AsBytes(weights.AsSpan()));
            graph.Message(5, tensor);
        }
        foreach (var (name, type, _, raw, dims) in _outputs)
        {
            var tensor = new Proto();
            foreach (var d in dims) tensor.Varint(1, d);
            tensor.Varint(2, type).String(8, "c_" + name).Bytes(9, raw);
            graph.Message(5, tensor); // initializer
        }
        foreach (var (name, type, dims) in _inputs) graph.Message(11, ValueInfo(name, type, dims));
        foreach (var (name, type, dims, _, _) in _outputs) graph.Message(12, ValueInfo(name, type, dims));
        foreach (var (_, name, _) in _linear) graph.Message(12, ValueInfo(name, Float, [1, 1]));

        var model = new Proto().Varint(1, 8).String(2, "edge-tests").Message(7, graph)
            .Message(8, new Proto().String(1, "").Varint(2, 17));
        foreach (var (key, value) in _metadata) model.Message(14, new Proto().String(1, key).String(2, value));
        return model.ToArray();
    }

    private OnnxModelBuilder AddOutput(string name, int type, byte[] raw, long[] dims, long[]? declared)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (count * 4 != raw.Length) throw new ArgumentException($"{name}: {raw.Length / 4} values for shape [{string.Join(',', dims)}]");
        _outputs.Add((name, type, declared ?? dims, raw, dims));
        return this;
    }

    private static Proto ValueInfo(string name, int type, long[] dims)
    {
        var shape = new Proto();
        for (int i = 0; i < dims.Length; i++)
            shape.Message(1, dims[i] >= 0 ? new Proto().Varint(1, dims[i]) : new Proto().String(2, $"{name}_d{i}"));
        var tensorType = new Proto().Varint(1, type).Message(2, shape);
        return new Proto().String(1, name).Message(2, new Proto().Message(1, tensorType));
    }

    /// <summary>Protobuf wire format: varints (wire type 0) and length-delimited fields (wire type 2).</summary>
    private sealed class Proto
    {
        private readonly MemoryStream _bytes = new();

        public Proto Varint(int field, long value)
        {
            WriteRaw((ulong)(field << 3));
            WriteRaw((ulong)value);
            return this;
        }

        public Proto Bytes(int field, ReadOnlySpan<byte> value)
        {
            WriteRaw((ulong)(field << 3 | 2));
            WriteRaw((ulong)value.Length);
            _bytes.Write(value);
            return this;
        }

        public Proto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));
        public Proto Message(int field, Proto message) => Bytes(field, message.ToArray());
        public byte[] ToArray() => _bytes.ToArray();

        private void WriteRaw(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            _bytes.WriteByte((byte)value);
        }
    }
}
