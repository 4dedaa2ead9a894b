using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Agent.Capture;

/// <summary>Creates the source for a <see cref="SourceOptions"/>.</summary>
public static class FrameSources
{
    /// <summary>
    /// Validates <paramref name="options"/> (throwing an <see cref="ArgumentException"/> that names the key)
    /// and creates the source; call <see cref="IFrameSource.StartAsync"/> to begin. A
    /// <see cref="SourceType.GStreamer"/> source runs an arbitrary launch string: create one only from the
    /// local configuration file, never from a remote command.
    /// </summary>
    public static IFrameSource Create(string name, SourceOptions options, bool triggered = false, ILogger? logger = null, int queueCapacity = 2) =>
        Create(name, options, triggered, logger, queueCapacity, CaptureTimings.Default);

    internal static FrameSourceBase Create(string name, SourceOptions options, bool triggered, ILogger? logger, int queueCapacity, CaptureTimings timings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        options.Validate();
        logger ??= NullLogger.Instance;
        return options.Type == SourceType.Images
            ? new ImageFolderSource(name, options, triggered, logger, queueCapacity, timings)
            : new GStreamerFrameSource(name, options, triggered, logger, queueCapacity, timings);
    }
}
