namespace Edge.Agent.Outbox;

/// <summary>A committed message waiting for the broker's acknowledgement.</summary>
/// <param name="Seq">Strictly increasing over the life of the file, across restarts.</param>
/// <param name="Stream">The producer's name for the results it belongs to; order within a stream is Seq order.</param>
/// <param name="CreatedAt">When it was enqueued (UTC, millisecond precision).</param>
public sealed record OutboxMessage(long Seq, string Stream, string Topic, ReadOnlyMemory<byte> Payload, int Qos, DateTimeOffset CreatedAt);

/// <summary>What the outbox holds now and what it did since it was opened.</summary>
/// <param name="Depth">Messages stored and not yet acknowledged.</param>
/// <param name="Bytes">Payload bytes of those messages.</param>
/// <param name="OldestAge">Age of the oldest stored message; zero when empty.</param>
/// <param name="Enqueued">Messages committed since open.</param>
/// <param name="Acknowledged">Messages deleted by acknowledgement since open (repeats not counted).</param>
/// <param name="DroppedForSize">Oldest messages deleted to stay within MaxBytes/MaxMessages.</param>
/// <param name="DroppedForAge">Messages deleted for being older than MaxAge.</param>
/// <param name="Rejected">New messages refused because the outbox was full (RejectNew).</param>
public readonly record struct OutboxStats(
    long Depth, long Bytes, TimeSpan OldestAge,
    long Enqueued, long Acknowledged, long DroppedForSize, long DroppedForAge, long Rejected);

/// <summary>The outbox is full and its policy is <see cref="OutboxOverflow.RejectNew"/>; the message was not stored.</summary>
public sealed class OutboxFullException(string message) : Exception(message);

/// <summary>The file is not a usable outbox; it was left untouched and the message says how to recover.</summary>
public sealed class OutboxCorruptException : Exception
{
    public OutboxCorruptException(string path, string reason, Exception? innerException = null)
        : base($"Outbox file {path} is not a usable outbox: {reason}. The file was left untouched. " +
               $"Fix: move it aside (for example to {path}.bad) to keep it for inspection, or set OutboxOptions.Path " +
               "to another file; a new, empty outbox is created there on the next start.", innerException) => Path = path;

    public string Path { get; }
}
