namespace Edge.Models;

/// <summary>
/// Where <c>scripts/setup</c> puts the native libraries and models it fetched. The same rule is
/// written in <c>scripts/lib.sh</c>; keep the two in step.
/// </summary>
public static class EdgePaths
{
    /// <summary><c>$EDGE_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/edge</c>, else <c>~/.cache/edge</c>.</summary>
    public static string CacheDirectory
    {
        get
        {
            var explicitDir = Environment.GetEnvironmentVariable("EDGE_CACHE_DIR");
            if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "edge");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "edge");
        }
    }

    public const string OnnxRuntimeVersion = "1.30.0";

    /// <summary>The runtime identifier the native folders are named after (linux-x64, linux-arm64).</summary>
    public static string NativeRid => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "linux-arm64",
        System.Runtime.InteropServices.Architecture.X64 => "linux-x64",
        var other => "linux-" + other.ToString().ToLowerInvariant(),
    };

    public static string OnnxRuntimeDirectory => Path.Combine(CacheDirectory, "onnxruntime", OnnxRuntimeVersion, NativeRid);

    /// <summary>The PP-OCR model set fetched by set-up (PP-OCRv4 det/rec, mobile v2 cls, dictionary).</summary>
    public static string OcrModelDirectory => Path.Combine(CacheDirectory, "models", "ppocr-v4");
}
