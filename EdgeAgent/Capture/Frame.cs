using Edge.Models.Imaging;

namespace Edge.Agent.Capture;

/// <summary>
/// One captured image. Frames are pooled: dispose each frame you read and it goes back to its source's
/// pool with its buffer, so steady-state capture allocates nothing. Do not touch a frame after disposing it.
/// </summary>
public sealed class Frame : IDisposable
{
    private readonly FramePool _pool;
    private int _leased;

    internal Frame(FramePool pool) => _pool = pool;

    /// <summary>Tightly packed RGB24 (Stride = Width × 3), copied from the source honouring its row stride.</summary>
    public ImageBuffer Image { get; } = new();

    /// <summary>1 for the source's first captured frame, counting up; gaps are frames dropped or not triggered.</summary>
    public long Sequence { get; private set; }

    public DateTimeOffset CapturedAt { get; private set; }

    /// <summary>The image file name for an images source, the file name for a video source, otherwise null.</summary>
    public string? SourceName { get; private set; }

    internal void Lease() => Volatile.Write(ref _leased, 1);

    internal void Stamp(long sequence, DateTimeOffset capturedAt, string? sourceName)
    {
        Sequence = sequence;
        CapturedAt = capturedAt;
        SourceName = sourceName;
    }

    /// <summary>Returns the frame to its pool; a second call does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _leased, 0) == 1) _pool.Return(this);
    }
}

/// <summary>
/// Frames with reusable image buffers. Keeps up to <c>retain</c> idle frames; beyond that, or once
/// closed, returned frames give their buffers back to the array pool.
/// </summary>
internal sealed class FramePool(int retain, Action? returned = null)
{
    private readonly Stack<Frame> _idle = new(retain);
    private bool _closed;
    private long _created;

    /// <summary>Frames created so far (each with its buffer): the pool's only allocations.</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>Idle frames kept for reuse at most.</summary>
    public int Retain => retain;

    public Frame Rent()
    {
        Frame? frame = null;
        lock (_idle)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _idle.TryPop(out frame);
        }
        if (frame is null)
        {
            frame = new Frame(this);
            Interlocked.Increment(ref _created);
        }
        frame.Lease();
        return frame;
    }

    internal void Return(Frame frame)
    {
        bool kept = false;
        lock (_idle)
        {
            if (!_closed && _idle.Count < retain)
            {
                _idle.Push(frame);
                kept = true;
            }
        }
        if (!kept) frame.Image.Dispose();
        returned?.Invoke();
    }

    /// <summary>Frees idle buffers; frames still out free theirs when disposed.</summary>
    public void Close()
    {
        lock (_idle)
        {
            _closed = true;
            while (_idle.TryPop(out var frame)) frame.Image.Dispose();
        }
    }
}
