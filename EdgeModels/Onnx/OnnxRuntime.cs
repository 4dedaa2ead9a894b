using Edge.Models.Interop.Onnx;

namespace Edge.Models.Onnx;

/// <summary>
/// The process-wide ONNX Runtime: one native library and one OrtEnv (log level warning, log id
/// "edge"), loaded on first use. Call <see cref="Initialize"/> first to choose the library yourself.
/// </summary>
public static class OnnxRuntime
{
    private static readonly Lock s_gate = new();
    private static volatile OrtRuntime? s_runtime;

    /// <summary>
    /// Loads the library once. Search order: <paramref name="libraryPath"/>, <c>$EDGE_ORT_LIBRARY</c>,
    /// <c>AppContext.BaseDirectory</c>, <see cref="EdgePaths.OnnxRuntimeDirectory"/>; the first that
    /// loads wins (see <see cref="LibraryPath"/>). Calling again is a no-op unless it names a different
    /// library than the one already loaded.
    /// </summary>
    /// <exception cref="OnnxRuntimeNotFoundException">no candidate exists and loads.</exception>
    /// <exception cref="InvalidOperationException">a different library was already loaded.</exception>
    public static void Initialize(string? libraryPath = null)
    {
        var runtime = Load(libraryPath, out bool loadedHere);
        if (!loadedHere && !string.IsNullOrWhiteSpace(libraryPath)
            && Path.GetFullPath(libraryPath) != Path.GetFullPath(runtime.LibraryPath))
            throw new InvalidOperationException(
                $"ONNX Runtime is already loaded from {runtime.LibraryPath}; it cannot be switched to {libraryPath} in this process");
    }

    /// <summary>The version the library reports, e.g. "1.30.0".</summary>
    public static string Version => Runtime.Version;

    /// <summary>The file the library was loaded from.</summary>
    public static string LibraryPath => Runtime.LibraryPath;

    /// <summary>ORT's build description (git commit, build type, …).</summary>
    public static string BuildInfo => Runtime.BuildInfo;

    /// <summary>The execution providers compiled into the library, e.g. "CPUExecutionProvider". Compiled in is not the same as usable.</summary>
    public static IReadOnlyList<string> AvailableProviders() => Runtime.AvailableProviders();

    internal static OrtRuntime Runtime => s_runtime ?? Load(null, out _);

    private static OrtRuntime Load(string? libraryPath, out bool loadedHere)
    {
        loadedHere = false;
        if (s_runtime is { } loaded) return loaded;
        lock (s_gate)
        {
            if (s_runtime is { } raced) return raced;
            loadedHere = true;
            var candidates = OnnxRuntimeLocator.Candidates(
                libraryPath,
                Environment.GetEnvironmentVariable(OnnxRuntimeLocator.EnvironmentVariable),
                AppContext.BaseDirectory,
                EdgePaths.OnnxRuntimeDirectory);
            return s_runtime = OnnxRuntimeLocator.Locate<OrtRuntime>(candidates, OrtRuntime.TryLoad);
        }
    }
}
