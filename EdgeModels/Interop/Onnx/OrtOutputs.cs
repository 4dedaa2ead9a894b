using Edge.Models.Onnx;

namespace Edge.Models.Interop.Onnx;

/// <summary>
/// The OrtValues one run produced, with their element types, shapes and data pointers read once
/// after the run. Buffers only grow, so a steady-state run reuses them; the values are released at
/// the next <see cref="Prepare"/>, on failure, or at dispose (or finalisation, if never disposed).
/// </summary>
internal sealed unsafe class OrtOutputs : IDisposable
{
    private nint[] _values = [];
    private nint[] _data = [];
    private long[][] _shapes = [];
    private int[] _ranks = [];
    private long[] _lengths = [];
    private TensorElementType[] _types = [];
    private bool _disposed;

    ~OrtOutputs() => Release();

    public int Count { get; private set; }
    public bool IsDisposed => _disposed;

    /// <summary>The slots ORT fills in <c>Run</c>; all zero after <see cref="Prepare"/>.</summary>
    public nint[] Values => _values;

    /// <summary>Releases the previous run's values and makes room for <paramref name="count"/> outputs.</summary>
    public void Prepare(int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, typeof(RunOutputs));
        Release();
        if (_values.Length >= count) return;
        Array.Resize(ref _values, count);
        Array.Resize(ref _data, count);
        Array.Resize(ref _ranks, count);
        Array.Resize(ref _lengths, count);
        Array.Resize(ref _types, count);
        int old = _shapes.Length;
        Array.Resize(ref _shapes, count);
        for (int i = old; i < count; i++) _shapes[i] = new long[4];
    }

    /// <summary>Reads type, shape and data pointer of each value ORT just produced.</summary>
    public void Describe(int count)
    {
        var api = Ort.Api;
        for (int i = 0; i < count; i++)
        {
            nint info;
            Ort.ThrowIfFailed(api->GetTensorTypeAndShape(_values[i], &info));
            try
            {
                int type;
                Ort.ThrowIfFailed(api->GetTensorElementType(info, &type));
                nuint rank;
                Ort.ThrowIfFailed(api->GetDimensionsCount(info, &rank));
                if (_shapes[i].Length < (int)rank) _shapes[i] = new long[(int)rank];
                fixed (long* dims = _shapes[i])
                    Ort.ThrowIfFailed(api->GetDimensions(info, dims, rank));
                long length = 1;
                for (int d = 0; d < (int)rank; d++) length *= _shapes[i][d];
                _types[i] = (TensorElementType)type;
                _ranks[i] = (int)rank;
                _lengths[i] = length;
            }
            finally
            {
                api->ReleaseTensorTypeAndShapeInfo(info);
            }
            void* data;
            Ort.ThrowIfFailed(api->GetTensorMutableData(_values[i], &data));
            _data[i] = (nint)data;
        }
        Count = count;
    }

    public TensorElementType ElementType(int index) => _types[index];

    public ReadOnlySpan<long> Shape(int index) => _shapes[index].AsSpan(0, _ranks[index]);

    /// <summary>A span over ORT's output memory; valid until the next run or dispose.</summary>
    public ReadOnlySpan<T> Data<T>(int index) where T : unmanaged =>
        new((void*)_data[index], checked((int)_lengths[index]));

    public void Release()
    {
        var values = _values;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != 0) Ort.Api->ReleaseValue(values[i]);
            values[i] = 0;
        }
        Count = 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Release();
        GC.SuppressFinalize(this);
    }
}
