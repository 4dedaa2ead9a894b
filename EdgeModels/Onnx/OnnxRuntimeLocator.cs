namespace Edge.Models.Onnx;

/// <summary>A place to look for the library, and why it is on the list.</summary>
internal sealed record LibraryCandidate(string Path, string Source);

/// <summary>Where libonnxruntime.so.1 is looked for, in order; kept free of loading so it can be tested.</summary>
internal static class OnnxRuntimeLocator
{
    public const string LibraryFileName = "libonnxruntime.so.1";
    public const string EnvironmentVariable = "EDGE_ORT_LIBRARY";
    public const string Fix = "run scripts/setup, or set EDGE_ORT_LIBRARY to the path of libonnxruntime.so.1";

    public delegate T? Loader<T>(string path, out string error) where T : class;

    /// <summary>
    /// Explicit path, then <c>$EDGE_ORT_LIBRARY</c>, then the application directory, then the folder
    /// <c>scripts/setup</c> fills. Empty settings are skipped.
    /// </summary>
    public static IReadOnlyList<LibraryCandidate> Candidates(
        string? explicitPath, string? environmentPath, string applicationDirectory, string setupDirectory)
    {
        var candidates = new List<LibraryCandidate>(4);
        if (!string.IsNullOrWhiteSpace(explicitPath))
            candidates.Add(new(explicitPath, "OnnxRuntime.Initialize(libraryPath)"));
        if (!string.IsNullOrWhiteSpace(environmentPath))
            candidates.Add(new(environmentPath, EnvironmentVariable));
        candidates.Add(new(Path.Combine(applicationDirectory, LibraryFileName), "application directory"));
        candidates.Add(new(Path.Combine(setupDirectory, LibraryFileName), "scripts/setup cache"));
        return candidates;
    }

    /// <summary>
    /// The first candidate that exists and loads; otherwise throws <see cref="OnnxRuntimeNotFoundException"/>
    /// naming every candidate and, for a file that exists, why it did not load.
    /// </summary>
    public static T Locate<T>(IReadOnlyList<LibraryCandidate> candidates, Loader<T> load) where T : class
    {
        var searched = new List<string>(candidates.Count);
        foreach (var candidate in candidates)
        {
            if (!File.Exists(candidate.Path))
            {
                searched.Add($"{candidate.Path} ({candidate.Source}): not found");
                continue;
            }
            var loaded = load(candidate.Path, out var error);
            if (loaded is not null) return loaded;
            searched.Add($"{candidate.Path} ({candidate.Source}): exists but did not load: {error}");
        }
        throw new OnnxRuntimeNotFoundException(searched);
    }
}
