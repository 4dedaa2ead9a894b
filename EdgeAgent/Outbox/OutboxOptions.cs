namespace Edge.Agent.Outbox;

/// <summary>What the outbox does when a new message would exceed <see cref="OutboxOptions.MaxBytes"/> or <see cref="OutboxOptions.MaxMessages"/>.</summary>
public enum OutboxOverflow
{
    /// <summary>Keep the new message and delete the oldest until the limits hold again.</summary>
    DropOldest,
    /// <summary>Keep what is stored and fail the new message with <see cref="OutboxFullException"/>.</summary>
    RejectNew,
}

/// <summary>Where the outbox lives and how much it may keep.</summary>
public sealed record OutboxOptions
{
    /// <summary>The SQLite file; its folder is created if missing.</summary>
    public required string Path { get; init; }

    /// <summary>Payload bytes kept (the file itself is larger by SQLite's page overhead).</summary>
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    public long MaxMessages { get; init; } = 1_000_000;

    /// <summary>Messages older than this are deleted unpublished.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    public OutboxOverflow Overflow { get; init; } = OutboxOverflow.DropOldest;

    /// <summary>How long the first queued enqueue waits for others to share its transaction (group commit window).</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Most messages in one transaction; a full batch commits without waiting out the window.</summary>
    public int MaxBatch { get; init; } = 512;

    public static readonly TimeSpan MaxCommitInterval = TimeSpan.FromSeconds(10);
    public const int MaxBatchLimit = 65_536;

    /// <summary>Throws <see cref="ArgumentException"/> naming the option, its bad value and what is allowed.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) throw Bad(nameof(Path), $"'{Path}'", "the path of a file");
        if (MaxBytes < 1) throw Bad(nameof(MaxBytes), MaxBytes, "1 byte or more");
        if (MaxMessages < 1) throw Bad(nameof(MaxMessages), MaxMessages, "1 message or more");
        if (MaxAge <= TimeSpan.Zero) throw Bad(nameof(MaxAge), MaxAge, "more than zero (TimeSpan.MaxValue keeps messages forever)");
        if (!Enum.IsDefined(Overflow)) throw Bad(nameof(Overflow), (int)Overflow, $"{nameof(OutboxOverflow.DropOldest)} or {nameof(OutboxOverflow.RejectNew)}");
        if (CommitInterval < TimeSpan.Zero || CommitInterval > MaxCommitInterval)
            throw Bad(nameof(CommitInterval), CommitInterval, $"0 (commit as soon as the writer is free) to {MaxCommitInterval}");
        if (MaxBatch < 1 || MaxBatch > MaxBatchLimit) throw Bad(nameof(MaxBatch), MaxBatch, $"1 to {MaxBatchLimit}");
    }

    private static ArgumentException Bad(string option, object value, string allowed) =>
        new($"OutboxOptions.{option} is {value}; allowed: {allowed}.", option);
}
