namespace Edge.Models.Onnx;

/// <summary><c>OrtErrorCode</c> from onnxruntime_c_api.h.</summary>
public enum OrtErrorCode
{
    Ok = 0,
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    EpFail = 11,
    ModelLoadCanceled = 12,
    ModelRequiresCompilation = 13,
    NotFound = 14,
    DeviceReset = 15,
}

/// <summary>An error ONNX Runtime reported, with its code and message.</summary>
public class OnnxRuntimeException : Exception
{
    public OnnxRuntimeException(OrtErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    public OrtErrorCode Code { get; }
}

/// <summary>No usable libonnxruntime.so.1 was found; the message lists every place searched.</summary>
public sealed class OnnxRuntimeNotFoundException : DllNotFoundException
{
    public OnnxRuntimeNotFoundException(IReadOnlyList<string> searched)
        : base(Describe(searched)) => Searched = searched;

    /// <summary>One line per place searched: the path, why it was searched, and what went wrong.</summary>
    public IReadOnlyList<string> Searched { get; }

    private static string Describe(IReadOnlyList<string> searched) =>
        $"ONNX Runtime ({OnnxRuntimeLocator.LibraryFileName}) could not be loaded. Searched:{Environment.NewLine}"
        + string.Concat(searched.Select(s => $"  - {s}{Environment.NewLine}"))
        + $"Fix: {OnnxRuntimeLocator.Fix}.";
}

/// <summary>A tensor given to <see cref="OnnxModel.Run(ReadOnlySpan{TensorInput}, RunOutputs)"/> does not fit the model.</summary>
public sealed class TensorShapeException(string message) : ArgumentException(message);
