namespace Edge.Models.Onnx;

public enum ExecutionProvider { Cpu, Cuda, TensorRT }

/// <summary>ORT's <c>GraphOptimizationLevel</c>; the values are the C enum's.</summary>
public enum GraphOptimization { Disabled = 0, Basic = 1, Extended = 2, All = 99 }

/// <summary>A provider that was asked for but skipped, with ORT's reason.</summary>
public sealed record ProviderFallback(ExecutionProvider Provider, string Reason);

/// <summary>How an <see cref="OnnxModel"/> session is set up. Validated by <see cref="Validate"/> at load.</summary>
public sealed record OnnxSessionConfig
{
    /// <summary>Threads inside one operator; 0 = ORT default (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads across operators; 0 = ORT default. Sessions run sequentially, so this rarely matters.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>
    /// ORT worker threads spin while waiting by default, burning CPU an edge board needs elsewhere;
    /// false (our default) turns that off for both pools.
    /// </summary>
    public bool AllowSpinning { get; init; }

    public GraphOptimization Optimization { get; init; } = GraphOptimization.All;

    /// <summary>
    /// ORT's CPU memory arena and memory-pattern planning: faster steady state, but the arena keeps
    /// the largest input's buffers for good. False trades a little speed for a smaller RSS when
    /// input sizes vary (cameras of several resolutions, cards of any size).
    /// </summary>
    public bool MemoryArena { get; init; } = true;

    /// <summary>
    /// With <see cref="MemoryArena"/>: all sessions in the process share one CPU arena instead of one arena
    /// per session. Same speed, a smaller RSS (the peak of `edge bench ocr` falls from 340 to 313 MB).
    /// </summary>
    public bool SharedArena { get; init; } = true;

    /// <summary>Where ORT writes the optimised graph (for inspection or a faster next load); null = nowhere.</summary>
    public string? OptimizedModelPath { get; init; }

    /// <summary>
    /// Preference order. Each provider that cannot be appended is skipped with a <see cref="ProviderFallback"/>;
    /// CPU is always the last resort, and providers listed after <see cref="ExecutionProvider.Cpu"/> are not tried.
    /// </summary>
    public IReadOnlyList<ExecutionProvider> Providers { get; init; } = [ExecutionProvider.Cpu];

    /// <summary>GPU device for CUDA and TensorRT.</summary>
    public int DeviceId { get; init; }

    public static OnnxSessionConfig Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad property and its value.</summary>
    public void Validate()
    {
        if (IntraOpThreads < 0)
            throw Bad(nameof(IntraOpThreads), IntraOpThreads, "must be 0 (ORT default) or more");
        if (InterOpThreads < 0)
            throw Bad(nameof(InterOpThreads), InterOpThreads, "must be 0 (ORT default) or more");
        if (!Enum.IsDefined(Optimization))
            throw Bad(nameof(Optimization), Optimization, "must be Disabled, Basic, Extended or All");
        if (OptimizedModelPath is not null && string.IsNullOrWhiteSpace(OptimizedModelPath))
            throw Bad(nameof(OptimizedModelPath), $"\"{OptimizedModelPath}\"", "must be null or a file path");
        if (Providers is null || Providers.Count == 0)
            throw Bad(nameof(Providers), Providers is null ? "null" : "[]", "must list at least one provider");
        for (int i = 0; i < Providers.Count; i++)
        {
            if (!Enum.IsDefined(Providers[i]))
                throw Bad(nameof(Providers), Providers[i], $"item {i} is not an ExecutionProvider");
            for (int j = 0; j < i; j++)
                if (Providers[j] == Providers[i])
                    throw Bad(nameof(Providers), Providers[i], $"item {i} repeats item {j}");
        }
        if (DeviceId < 0)
            throw Bad(nameof(DeviceId), DeviceId, "must be 0 or more");
    }

    private static ArgumentException Bad(string property, object? value, string rule) =>
        new($"OnnxSessionConfig.{property} = {value}: {rule}", property);
}
