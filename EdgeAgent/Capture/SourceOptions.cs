using System.Globalization;

namespace Edge.Agent.Capture;

/// <summary>Where frames come from.</summary>
public enum SourceType
{
    /// <summary>A V4L2 device (/dev/videoN), the Raspberry Pi camera ("libcamera") or a Jetson CSI sensor ("csi:N").</summary>
    Camera,
    /// <summary>An RTSP stream (rtsp:// or rtsps://).</summary>
    Rtsp,
    /// <summary>A video file, paced at its own frame rate (or <see cref="SourceOptions.Fps"/>).</summary>
    Video,
    /// <summary>A folder of JPEG/PNG images, decoded without GStreamer.</summary>
    Images,
    /// <summary>GStreamer's videotestsrc, live.</summary>
    TestPattern,
    /// <summary>
    /// A raw GStreamer launch string. Only ever from the device's local configuration file: a launch
    /// string can name any element (files, sockets, shell-like sinks), so remote commands must never
    /// create one. The agent enforces that where it accepts remote configuration.
    /// </summary>
    GStreamer,
}

/// <summary>The <c>source</c> section of the configuration. <see cref="Validate"/> before use.</summary>
public sealed record SourceOptions
{
    public SourceType Type { get; init; }

    /// <summary>Camera: /dev/video0, "libcamera" (Raspberry Pi camera via libcamerasrc) or "csi:0" (Jetson nvarguscamerasrc sensor-id).</summary>
    public string? Device { get; init; }

    /// <summary>RTSP: rtsp://host[:port]/path.</summary>
    public string? Url { get; init; }

    /// <summary>Video: the file. Images: the folder.</summary>
    public string? Path { get; init; }

    /// <summary>Output width in pixels; 0 keeps the source's own (set both width and height, or neither).</summary>
    public int Width { get; init; }

    /// <summary>Output height in pixels; 0 keeps the source's own.</summary>
    public int Height { get; init; }

    /// <summary>Frames per second; 0 keeps the source's own (images: as fast as they are consumed).</summary>
    public double Fps { get; init; }

    /// <summary>Images and video: start again at the end instead of ending.</summary>
    public bool Loop { get; init; }

    /// <summary>
    /// <see cref="SourceType.GStreamer"/>: a launch string ending in <c>appsink name=sink</c> that delivers
    /// video/x-raw,format=RGB. From the LOCAL configuration file only; remote commands must never set it.
    /// </summary>
    public string? Pipeline { get; init; }

    /// <summary>Test pattern: a videotestsrc pattern nick (smpte, snow, black, white, red, ball, …); default smpte.</summary>
    public string? Pattern { get; init; }

    public const int MaxSide = 16384;
    public const double MaxFps = 1000;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the key, the value and what is allowed.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Type))
            throw Bad("source.type", Type.ToString(), $"use one of {string.Join(", ", Enum.GetNames<SourceType>())}");
        if (Width < 0 || Width > MaxSide || Height < 0 || Height > MaxSide)
            throw Bad(Width < 0 || Width > MaxSide ? "source.width" : "source.height",
                (Width < 0 || Width > MaxSide ? Width : Height).ToString(CultureInfo.InvariantCulture),
                $"a size in pixels from 1 to {MaxSide}, or 0 for the source's own");
        if ((Width == 0) != (Height == 0))
            throw Bad(Width == 0 ? "source.width" : "source.height", "0", "set both width and height, or neither");
        if (!double.IsFinite(Fps) || Fps < 0 || Fps > MaxFps)
            throw Bad("source.fps", Fps.ToString(CultureInfo.InvariantCulture), $"frames per second from 0 (the source's own) to {MaxFps}");

        switch (Type)
        {
            case SourceType.Camera:
                Require("source.device", Device, "a camera needs a device: /dev/video0, \"libcamera\" or \"csi:0\"");
                if (!(Device!.StartsWith('/') || Device == "libcamera" || TryCsiSensor(Device, out _)))
                    throw Bad("source.device", Device, "a device path such as /dev/video0, \"libcamera\" (Raspberry Pi camera) or \"csi:N\" (Jetson sensor N)");
                LaunchSafe("source.device", Device);
                break;
            case SourceType.Rtsp:
                Require("source.url", Url, "an RTSP source needs a url such as rtsp://camera.local:554/stream");
                if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("rtsp" or "rtsps") || uri.Host.Length == 0)
                    throw Bad("source.url", Url!, "an rtsp:// or rtsps:// url with a host, such as rtsp://camera.local:554/stream");
                LaunchSafe("source.url", Url!);
                break;
            case SourceType.Video:
                Require("source.path", Path, "a video source needs the path of a video file");
                if (!File.Exists(Path))
                    throw Bad("source.path", Path!, "an existing video file (a video source reads a file; use type images for a folder)");
                LaunchSafe("source.path", Path!);
                break;
            case SourceType.Images:
                Require("source.path", Path, "an images source needs the path of a folder of JPEG/PNG files");
                if (!Directory.Exists(Path))
                    throw Bad("source.path", Path!, "an existing folder of JPEG/PNG files");
                break;
            case SourceType.TestPattern:
                if (Pattern is not null && !IsPatternName(Pattern))
                    throw Bad("source.pattern", Pattern, "a videotestsrc pattern name such as smpte, snow, black, white, red, green, blue, checkers-8 or ball");
                break;
            case SourceType.GStreamer:
                Require("source.pipeline", Pipeline, "a gstreamer source needs a launch string ending in \"appsink name=sink\"");
                break;
        }
    }

    internal static bool TryCsiSensor(string device, out int sensor)
    {
        sensor = -1;
        return device.StartsWith("csi:", StringComparison.Ordinal)
            && int.TryParse(device.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out sensor);
    }

    internal static bool IsPatternName(string pattern) =>
        pattern.Length is > 0 and <= 32 && pattern.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    /// <summary>The reason a value cannot be quoted safely into a launch string, or null when it can.</summary>
    internal static string? LaunchUnsafeReason(string value)
    {
        if (value.Any(char.IsControl)) return "it contains a control character";
        // Inside a quoted launch-string value a final backslash would escape the closing quote.
        if (value.EndsWith('\\')) return "it ends with a backslash";
        return null;
    }

    private static void LaunchSafe(string key, string value)
    {
        if (LaunchUnsafeReason(value) is { } reason) throw Bad(key, value, $"a value without control characters or a trailing backslash ({reason})");
    }

    private static void Require(string key, string? value, string allowed)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"{key} is missing: {allowed}", key);
    }

    private static ArgumentException Bad(string key, string value, string allowed) =>
        new($"{key} = \"{value}\" is not allowed: {allowed}", key);
}
