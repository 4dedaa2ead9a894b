using System.Threading.Channels;

namespace Edge.Agent.Capture;

/// <summary>A camera, stream, file or folder delivering RGB frames into a bounded, latest-frame queue.</summary>
public interface IFrameSource : IAsyncDisposable
{
    string Name { get; }

    SourceHealth Health { get; }

    /// <summary>
    /// Bounded (capacity 2 by default), latest-frame policy: when full the OLDEST frame is dropped
    /// (disposed back to the pool) and counted in <see cref="SourceHealth.Dropped"/>. Dispose every frame
    /// you read. Completes when the source has Ended or Failed, or is disposed.
    /// </summary>
    ChannelReader<Frame> Frames { get; }

    /// <summary>
    /// Starts capturing and returns once the first attempt has started (or failed). It does not throw
    /// when the device is missing or the stream unreachable: <see cref="Health"/> says why and it retries.
    /// </summary>
    Task StartAsync(CancellationToken ct);

    /// <summary>In trigger mode (created with triggered: true) delivers only the next frame captured after this call.</summary>
    void Trigger();
}
