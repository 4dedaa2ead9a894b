using System.Buffers.Binary;

namespace Edge.Agent.Pipelines;

/// <summary>
/// The per-device event sequence number: strictly increasing across restarts and crashes, without a
/// disk write per event. Numbers are handed out from blocks; a block's end is made durable before
/// its first number is used, so after a crash numbering resumes past it (gaps, never repeats).
/// </summary>
public sealed class EventSequence
{
    private readonly string _path;
    private readonly long _blockSize;
    private readonly object _gate = new();
    private long _next;
    private long _reserved;

    public EventSequence(string path, long blockSize = 1000)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "block size must be at least 1");
        _path = path;
        _blockSize = blockSize;
        _next = _reserved = ReadReserved(path);
    }

    /// <summary>The next number (the first ever is 1).</summary>
    public long Next()
    {
        lock (_gate)
        {
            if (_next == _reserved) Reserve(_reserved + _blockSize);
            return ++_next;
        }
    }

    private void Reserve(long upTo)
    {
        var tmp = _path + ".tmp";
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, upTo);
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough))
        {
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, _path, overwrite: true);
        _reserved = upTo;
    }

    private static long ReadReserved(string path)
    {
        if (!File.Exists(path)) return 0;
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != 8)
            throw new InvalidDataException($"{path}: event sequence file is {bytes.Length} bytes, expected 8; move it aside to start a new sequence (consumers deduplicate on event ids)");
        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }
}
