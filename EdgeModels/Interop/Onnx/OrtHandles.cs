using System.Runtime.InteropServices;

namespace Edge.Models.Interop.Onnx;

/// <summary>
/// Owned ORT objects. Each is created empty, filled with <see cref="Marshal.InitHandle"/> right after
/// the native call succeeds, and released exactly once by the SafeHandle machinery.
/// </summary>
internal abstract class OrtHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;
}

internal sealed unsafe class OrtEnvHandle : OrtHandle
{
    protected override bool ReleaseHandle() { Ort.Api->ReleaseEnv(handle); return true; }
}

internal sealed unsafe class OrtSessionOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle() { Ort.Api->ReleaseSessionOptions(handle); return true; }
}

internal sealed unsafe class OrtMemoryInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle() { Ort.Api->ReleaseMemoryInfo(handle); return true; }
}

internal sealed unsafe class OrtTypeInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle() { Ort.Api->ReleaseTypeInfo(handle); return true; }
}

internal sealed unsafe class OrtModelMetadataHandle : OrtHandle
{
    protected override bool ReleaseHandle() { Ort.Api->ReleaseModelMetadata(handle); return true; }
}

internal sealed unsafe class OrtCudaProviderOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle() { Ort.Api->ReleaseCUDAProviderOptions(handle); return true; }
}

internal sealed unsafe class OrtTensorRTProviderOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle() { Ort.Api->ReleaseTensorRTProviderOptions(handle); return true; }
}

/// <summary>
/// An <c>OrtSession</c> together with the native UTF-8 name tables <c>Run</c> takes; they live and
/// die together, so one AddRef during a run keeps all of them alive.
/// </summary>
internal sealed unsafe class OrtSessionHandle : OrtHandle
{
    public byte** InputNames;
    public byte** OutputNames;

    protected override bool ReleaseHandle()
    {
        Ort.Api->ReleaseSession(handle);
        NativeMemory.Free(InputNames);
        NativeMemory.Free(OutputNames);
        InputNames = OutputNames = null;
        return true;
    }
}
