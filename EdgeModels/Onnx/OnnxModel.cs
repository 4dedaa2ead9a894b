using Edge.Models.Interop.Onnx;
using Microsoft.Extensions.Logging;

namespace Edge.Models.Onnx;

/// <summary>
/// An ONNX model loaded into an ORT session.
/// Threading: <see cref="Run(ReadOnlySpan{TensorInput}, RunOutputs)"/> may be called from several
/// threads at once (ORT's Run is thread-safe) provided each thread uses its own
/// <see cref="RunOutputs"/> and its own input tensors; one <see cref="RunOutputs"/> serves one run at a time.
/// </summary>
public sealed partial class OnnxModel : IDisposable
{
    private readonly OrtSession _session;
    private readonly TensorInfo[] _inputs;
    private readonly string _fileName;
    private volatile bool _disposed;

    private OnnxModel(string modelPath, OrtSession session, ExecutionProvider provider, IReadOnlyList<ProviderFallback> fallbacks)
    {
        ModelPath = modelPath;
        _fileName = Path.GetFileName(modelPath);
        _session = session;
        _inputs = session.Inputs;
        Provider = provider;
        Fallbacks = fallbacks;
    }

    /// <summary>
    /// Loads <paramref name="modelPath"/> with <paramref name="config"/> (default: CPU, all graph
    /// optimisations, no spinning). Providers that cannot be used are skipped and logged as warnings.
    /// </summary>
    /// <exception cref="ArgumentException">the config is invalid; the message names the property.</exception>
    /// <exception cref="FileNotFoundException">there is no file at <paramref name="modelPath"/>.</exception>
    /// <exception cref="OnnxRuntimeException">ORT cannot load the model; the message names the file.</exception>
    /// <exception cref="OnnxRuntimeNotFoundException">the ONNX Runtime library cannot be found.</exception>
    public static OnnxModel Load(string modelPath, OnnxSessionConfig? config = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        config ??= OnnxSessionConfig.Default;
        config.Validate();
        var fullPath = Path.GetFullPath(modelPath);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"ONNX model not found: {fullPath}", fullPath);

        var runtime = OnnxRuntime.Runtime;
        var fallbacks = new List<ProviderFallback>();
        OrtSession session;
        ExecutionProvider provider;
        try
        {
            session = OrtSession.Create(runtime, fullPath, config, fallbacks, out provider);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxRuntimeException(e.Code, $"cannot load ONNX model {fullPath}: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"cannot use ONNX model {fullPath}: {e.Message}", e);
        }

        logger ??= Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        foreach (var fallback in fallbacks)
            Log.ProviderSkipped(logger, fallback.Provider, Path.GetFileName(fullPath), fallback.Reason);
        Log.Loaded(logger, Path.GetFileName(fullPath), provider);
        return new OnnxModel(fullPath, session, provider, fallbacks);
    }

    /// <summary>The full path the model was loaded from.</summary>
    public string ModelPath => Alive(field);

    /// <summary>The provider the session ended up on: the first that appended, else CPU.</summary>
    public ExecutionProvider Provider => Alive(field);

    /// <summary>Providers asked for but skipped, with ORT's reason.</summary>
    public IReadOnlyList<ProviderFallback> Fallbacks => Alive(field);

    public IReadOnlyList<TensorInfo> Inputs => Alive(_inputs);
    public IReadOnlyList<TensorInfo> Outputs => Alive(_session.Outputs);

    /// <summary>The model's custom metadata map (key → value).</summary>
    public IReadOnlyDictionary<string, string> Metadata => Alive(_session.Metadata);

    /// <summary>Runs a single-input model. See <see cref="Run(ReadOnlySpan{TensorInput}, RunOutputs)"/>.</summary>
    public void Run(TensorInput input, RunOutputs outputs) => Run(new ReadOnlySpan<TensorInput>(in input), outputs);

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> (in model input order) into <paramref name="outputs"/>
    /// (all model outputs, in order). Inputs are checked against the model first; a steady-state
    /// run allocates no managed memory.
    /// </summary>
    /// <exception cref="TensorShapeException">an input's count, element type, rank or a fixed dim does not match.</exception>
    /// <exception cref="OnnxRuntimeException">ORT failed to run.</exception>
    public void Run(ReadOnlySpan<TensorInput> inputs, RunOutputs outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(outputs);
        ObjectDisposedException.ThrowIf(outputs.Native.IsDisposed, outputs);
        if (inputs.Length != _inputs.Length) ThrowInputCount(inputs.Length);
        for (int i = 0; i < inputs.Length; i++)
        {
            var given = inputs[i];
            if (given is null) throw new ArgumentNullException(nameof(inputs), $"input {i} is null");
            if (!Fits(_inputs[i], given)) ThrowMismatch(_inputs[i], given);
        }
        _session.Run(inputs, outputs.Native);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _session.Dispose();
    }

    public override string ToString() => $"{_fileName} ({(_disposed ? "disposed" : Provider.ToString())})";

    private static bool Fits(TensorInfo expected, TensorInput given)
    {
        if (given.ElementType != expected.ElementType) return false;
        var shape = given.Shape;
        var want = expected.Shape;
        if (shape.Length != want.Length) return false;
        for (int d = 0; d < want.Length; d++)
            if (want[d] >= 0 && want[d] != shape[d]) return false;
        return true;
    }

    private void ThrowMismatch(TensorInfo expected, TensorInput given) =>
        throw new TensorShapeException(
            $"input '{expected.Name}' of {_fileName}: expected {expected.TypeAndShape()}, " +
            $"given {TensorElementTypes.Format(given.ElementType, given.Shape)}");

    private void ThrowInputCount(int given) =>
        throw new TensorShapeException(
            $"{_fileName}: expected {_inputs.Length} input(s) ({string.Join(", ", (object[])_inputs)}), given {given}");

    private T Alive<T>(T value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return value;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
            Message = "Execution provider {Provider} skipped for {Model}: {Reason}")]
        public static partial void ProviderSkipped(ILogger logger, ExecutionProvider provider, string model, string reason);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Loaded {Model} on {Provider}")]
        public static partial void Loaded(ILogger logger, string model, ExecutionProvider provider);
    }
}
