using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Edge.Models.Onnx;

namespace Edge.Models.Interop.Onnx;

/// <summary>
/// An <c>OrtSession</c> with what was read from it once at load: input/output descriptions, the
/// native name tables <c>Run</c> takes, and the custom metadata map. <see cref="Run"/> is safe to
/// call from several threads at once as long as each passes its own <see cref="OrtOutputs"/>.
/// </summary>
internal sealed unsafe class OrtSession : IDisposable
{
    private readonly OrtSessionHandle _handle;
    private readonly nint _cpuMemory; // the runtime's, which lives as long as the process

    private OrtSession(OrtSessionHandle handle, nint cpuMemory, TensorInfo[] inputs, TensorInfo[] outputs,
        IReadOnlyDictionary<string, string> metadata)
    {
        _handle = handle;
        _cpuMemory = cpuMemory;
        Inputs = inputs;
        Outputs = outputs;
        Metadata = metadata;
    }

    public TensorInfo[] Inputs { get; }
    public TensorInfo[] Outputs { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Creates the session. Providers that fail to append are added to <paramref name="fallbacks"/>
    /// with ORT's message; <paramref name="provider"/> is the first that appended, else CPU.
    /// </summary>
    public static OrtSession Create(OrtRuntime runtime, string modelPath, OnnxSessionConfig config,
        List<ProviderFallback> fallbacks, out ExecutionProvider provider)
    {
        var api = Ort.Api;
        using var options = CreateOptions(runtime, config, fallbacks, out provider);

        var handle = new OrtSessionHandle();
        nint session;
        fixed (byte* path = Ort.Utf8(modelPath)) // ORTCHAR_T is char on Linux: the path goes in as UTF-8
            Ort.ThrowIfFailed(api->CreateSession(runtime.Env.DangerousGetHandle(), path, options.DangerousGetHandle(), &session));
        Marshal.InitHandle(handle, session);
        try
        {
            var inputs = ReadTensorInfos(session, runtime.DefaultAllocator, inputs: true);
            var outputs = ReadTensorInfos(session, runtime.DefaultAllocator, inputs: false);
            handle.InputNames = AllocateNameTable(inputs);
            handle.OutputNames = AllocateNameTable(outputs);
            var metadata = ReadCustomMetadata(session, runtime.DefaultAllocator);
            return new OrtSession(handle, runtime.CpuMemory.DangerousGetHandle(), inputs, outputs, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Wraps each input's pinned memory in an OrtValue (no copy), runs, and leaves ORT-allocated
    /// outputs in <paramref name="outputs"/>. Inputs must already match the model (count, type, shape).
    /// Allocates nothing managed for models with up to 16 inputs.
    /// </summary>
    public void Run(ReadOnlySpan<TensorInput> inputs, OrtOutputs outputs)
    {
        var api = Ort.Api;
        int inputCount = inputs.Length, outputCount = Outputs.Length;
        Span<nint> values = inputCount <= 16 ? stackalloc nint[inputCount] : new nint[inputCount];
        bool sessionRef = false;
        outputs.Prepare(outputCount);
        try
        {
            _handle.DangerousAddRef(ref sessionRef); // a concurrent Dispose waits for this run
            for (int i = 0; i < inputCount; i++)
            {
                var input = inputs[i];
                var bytes = input.PinnedBytes;
                var shape = input.Shape;
                nint value;
                // The bytes live on the pinned object heap, so their address is stable without `fixed`.
                fixed (long* dims = shape)
                    Ort.ThrowIfFailed(api->CreateTensorWithDataAsOrtValue(_cpuMemory,
                        Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes)), (nuint)bytes.Length,
                        dims, (nuint)shape.Length, (int)input.ElementType, &value));
                values[i] = value;
            }

            fixed (nint* inputValues = values)
            fixed (nint* outputValues = outputs.Values)
                Ort.ThrowIfFailed(api->Run(_handle.DangerousGetHandle(), 0, _handle.InputNames, inputValues,
                    (nuint)inputCount, _handle.OutputNames, (nuint)outputCount, outputValues));
            outputs.Describe(outputCount);
        }
        catch
        {
            outputs.Release();
            throw;
        }
        finally
        {
            foreach (var value in values)
                if (value != 0) api->ReleaseValue(value);
            if (sessionRef) _handle.DangerousRelease();
        }
    }

    public void Dispose() => _handle.Dispose();

    private static OrtSessionOptionsHandle CreateOptions(OrtRuntime runtime, OnnxSessionConfig config, List<ProviderFallback> fallbacks,
        out ExecutionProvider provider)
    {
        var api = Ort.Api;
        var handle = new OrtSessionOptionsHandle();
        nint options;
        Ort.ThrowIfFailed(api->CreateSessionOptions(&options));
        Marshal.InitHandle(handle, options);
        try
        {
            if (config.IntraOpThreads > 0) Ort.ThrowIfFailed(api->SetIntraOpNumThreads(options, config.IntraOpThreads));
            if (config.InterOpThreads > 0) Ort.ThrowIfFailed(api->SetInterOpNumThreads(options, config.InterOpThreads));
            var spin = config.AllowSpinning ? "1"u8 : "0"u8;
            fixed (byte* value = spin)
            {
                fixed (byte* key = "session.intra_op.allow_spinning"u8)
                    Ort.ThrowIfFailed(api->AddSessionConfigEntry(options, key, value));
                fixed (byte* key = "session.inter_op.allow_spinning"u8)
                    Ort.ThrowIfFailed(api->AddSessionConfigEntry(options, key, value));
            }
            Ort.ThrowIfFailed(api->SetSessionExecutionMode(options, OrtConst.ExecutionModeSequential));
            if (!config.MemoryArena)
            {
                Ort.ThrowIfFailed(api->DisableCpuMemArena(options));
                Ort.ThrowIfFailed(api->DisableMemPattern(options));
            }
            else if (config.SharedArena)
            {
                runtime.EnsureSharedArena();
                fixed (byte* key = "session.use_env_allocators"u8)
                fixed (byte* value = "1"u8)
                    Ort.ThrowIfFailed(api->AddSessionConfigEntry(options, key, value));
            }
            Ort.ThrowIfFailed(api->SetSessionGraphOptimizationLevel(options, (int)config.Optimization));
            if (config.OptimizedModelPath is { } optimizedPath)
                fixed (byte* path = Ort.Utf8(Path.GetFullPath(optimizedPath)))
                    Ort.ThrowIfFailed(api->SetOptimizedModelFilePath(options, path));

            ExecutionProvider? chosen = null;
            foreach (var candidate in config.Providers)
            {
                if (candidate == ExecutionProvider.Cpu) break; // ORT's CPU provider is always there, last
                try
                {
                    AppendProvider(options, candidate, config.DeviceId);
                    chosen ??= candidate;
                }
                catch (OnnxRuntimeException e)
                {
                    fallbacks.Add(new ProviderFallback(candidate, e.Message));
                }
            }
            provider = chosen ?? ExecutionProvider.Cpu;
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void AppendProvider(nint options, ExecutionProvider provider, int deviceId)
    {
        var api = Ort.Api;
        var device = Ort.Utf8(deviceId.ToString(CultureInfo.InvariantCulture));
        fixed (byte* key = "device_id"u8)
        fixed (byte* value = device)
        {
            byte* keys = key, values = value;
            nint providerOptions;
            switch (provider)
            {
                case ExecutionProvider.Cuda:
                    Ort.ThrowIfFailed(api->CreateCUDAProviderOptions(&providerOptions));
                    using (var cuda = new OrtCudaProviderOptionsHandle())
                    {
                        Marshal.InitHandle(cuda, providerOptions);
                        Ort.ThrowIfFailed(api->UpdateCUDAProviderOptions(providerOptions, &keys, &values, 1));
                        Ort.ThrowIfFailed(api->SessionOptionsAppendExecutionProvider_CUDA_V2(options, providerOptions));
                    }
                    break;
                case ExecutionProvider.TensorRT:
                    Ort.ThrowIfFailed(api->CreateTensorRTProviderOptions(&providerOptions));
                    using (var tensorRT = new OrtTensorRTProviderOptionsHandle())
                    {
                        Marshal.InitHandle(tensorRT, providerOptions);
                        Ort.ThrowIfFailed(api->UpdateTensorRTProviderOptions(providerOptions, &keys, &values, 1));
                        Ort.ThrowIfFailed(api->SessionOptionsAppendExecutionProvider_TensorRT_V2(options, providerOptions));
                    }
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(provider), provider, "not an appendable provider");
            }
        }
    }

    private static TensorInfo[] ReadTensorInfos(nint session, nint allocator, bool inputs)
    {
        var api = Ort.Api;
        var getCount = inputs ? api->SessionGetInputCount : api->SessionGetOutputCount;
        var getName = inputs ? api->SessionGetInputName : api->SessionGetOutputName;
        var getTypeInfo = inputs ? api->SessionGetInputTypeInfo : api->SessionGetOutputTypeInfo;

        nuint count;
        Ort.ThrowIfFailed(getCount(session, &count));
        var infos = new TensorInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* rawName;
            Ort.ThrowIfFailed(getName(session, i, allocator, &rawName));
            var name = Ort.TakeUtf8(allocator, rawName);

            nint typeInfo;
            Ort.ThrowIfFailed(getTypeInfo(session, i, &typeInfo));
            using var typeInfoHandle = new OrtTypeInfoHandle();
            Marshal.InitHandle(typeInfoHandle, typeInfo);

            int onnxType;
            Ort.ThrowIfFailed(api->GetOnnxTypeFromTypeInfo(typeInfo, &onnxType));
            if (onnxType != OrtConst.OnnxTypeTensor)
                throw new NotSupportedException(
                    $"{(inputs ? "input" : "output")} '{name}' is not a tensor (ONNXType {onnxType}); only tensors are supported");

            nint tensorInfo; // owned by typeInfo
            Ort.ThrowIfFailed(api->CastTypeInfoToTensorInfo(typeInfo, &tensorInfo));
            int elementType;
            Ort.ThrowIfFailed(api->GetTensorElementType(tensorInfo, &elementType));
            nuint rank;
            Ort.ThrowIfFailed(api->GetDimensionsCount(tensorInfo, &rank));
            var dims = new long[(int)rank];
            var symbolic = new nint[(int)rank];
            fixed (long* d = dims)
                Ort.ThrowIfFailed(api->GetDimensions(tensorInfo, d, rank));
            fixed (nint* s = symbolic)
                Ort.ThrowIfFailed(api->GetSymbolicDimensions(tensorInfo, (byte**)s, rank));
            var symbolicNames = new string?[(int)rank];
            for (int d = 0; d < symbolicNames.Length; d++)
            {
                var text = symbolic[d] == 0 ? "" : Ort.ReadUtf8((byte*)symbolic[d]); // owned by tensorInfo
                symbolicNames[d] = text.Length == 0 ? null : text;
            }
            infos[(int)i] = new TensorInfo(name, (TensorElementType)elementType, dims, symbolicNames);
        }
        return infos;
    }

    /// <summary>One native block: the char* table, then the NUL-terminated UTF-8 names it points at.</summary>
    private static byte** AllocateNameTable(TensorInfo[] infos)
    {
        int tableBytes = infos.Length * sizeof(nint), total = tableBytes;
        foreach (var info in infos) total += Encoding.UTF8.GetByteCount(info.Name) + 1;
        var block = (byte*)NativeMemory.Alloc((nuint)Math.Max(total, 1));
        var table = (byte**)block;
        var next = block + tableBytes;
        for (int i = 0; i < infos.Length; i++)
        {
            table[i] = next;
            int written = Encoding.UTF8.GetBytes(infos[i].Name, new Span<byte>(next, (int)(block + total - next)));
            next[written] = 0;
            next += written + 1;
        }
        return table;
    }

    private static Dictionary<string, string> ReadCustomMetadata(nint session, nint allocator)
    {
        var api = Ort.Api;
        nint metadata;
        Ort.ThrowIfFailed(api->SessionGetModelMetadata(session, &metadata));
        using var metadataHandle = new OrtModelMetadataHandle();
        Marshal.InitHandle(metadataHandle, metadata);

        byte** keys;
        long count;
        Ort.ThrowIfFailed(api->ModelMetadataGetCustomMetadataMapKeys(metadata, allocator, &keys, &count));
        var map = new Dictionary<string, string>((int)count, StringComparer.Ordinal);
        if (keys == null) return map; // ORT returns null for an empty map
        try
        {
            for (long i = 0; i < count; i++)
            {
                byte* value;
                Ort.ThrowIfFailed(api->ModelMetadataLookupCustomMetadataMap(metadata, allocator, keys[i], &value));
                map[Ort.ReadUtf8(keys[i])] = Ort.TakeUtf8(allocator, value);
            }
        }
        finally
        {
            for (long i = 0; i < count; i++) Ort.ThrowIfFailed(api->AllocatorFree(allocator, keys[i]));
            Ort.ThrowIfFailed(api->AllocatorFree(allocator, keys));
        }
        return map;
    }
}
