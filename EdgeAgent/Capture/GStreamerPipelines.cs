using System.Globalization;
using System.Text;

namespace Edge.Agent.Capture;

/// <summary>The GStreamer launch string each source type runs; every pipeline ends in the same RGB appsink.</summary>
public static class GStreamerPipelines
{
    /// <summary>
    /// The launch string for <paramref name="o"/>. Values from the configuration are quoted, so a path such
    /// as <c>a.avi ! fakesink</c> stays a file name. Images have no pipeline (they are decoded in managed code).
    /// </summary>
    public static string Describe(SourceOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var s = new StringBuilder(256);
        switch (o.Type)
        {
            case SourceType.GStreamer:
                return o.Pipeline ?? throw new ArgumentException("source.pipeline is missing", "source.pipeline");
            case SourceType.Camera:
                string device = o.Device ?? throw new ArgumentException("source.device is missing", "source.device");
                if (device == "libcamera")
                    s.Append("libcamerasrc");
                else if (SourceOptions.TryCsiSensor(device, out int sensor))
                    // nvvidconv copies NVMM buffers to system memory (and scales in hardware when asked).
                    s.Append(CultureInfo.InvariantCulture, $"nvarguscamerasrc sensor-id={sensor} ! nvvidconv ! video/x-raw,format=BGRx{Size(o)}");
                else
                    s.Append("v4l2src device=").Append(Quote("source.device", device));
                break;
            case SourceType.Rtsp:
                s.Append("rtspsrc location=").Append(Quote("source.url", o.Url ?? throw new ArgumentException("source.url is missing", "source.url")))
                 .Append(" latency=200 ! decodebin");
                break;
            case SourceType.Video:
                s.Append("filesrc location=").Append(Quote("source.path", o.Path ?? throw new ArgumentException("source.path is missing", "source.path")))
                 .Append(" ! decodebin");
                break;
            case SourceType.TestPattern:
                string pattern = o.Pattern ?? "smpte";
                if (!SourceOptions.IsPatternName(pattern))
                    throw new ArgumentException($"source.pattern = \"{pattern}\" is not a videotestsrc pattern name", "source.pattern");
                s.Append("videotestsrc is-live=true pattern=").Append(pattern);
                break;
            case SourceType.Images:
                throw new ArgumentException("an images source is decoded without GStreamer and has no pipeline", "source.type");
            default:
                throw new ArgumentException($"source.type = \"{o.Type}\" is not a known source type", "source.type");
        }
        s.Append(" ! videoconvert ! videoscale");
        if (o.Fps > 0) s.Append(" ! videorate");
        s.Append(" ! video/x-raw,format=RGB").Append(Size(o));
        if (o.Fps > 0) s.Append(",framerate=").Append(Fraction(o.Fps));
        // A file is paced at its own (or the configured) rate; live sources deliver as frames arrive.
        bool sync = o.Type == SourceType.Video;
        s.Append(" ! appsink name=sink max-buffers=2 drop=true sync=").Append(sync ? "true" : "false").Append(" emit-signals=false");
        return s.ToString();
    }

    /// <summary>
    /// A double-quoted launch-string value. GStreamer's parser keeps everything between the quotes as one
    /// value and unescapes \" and \\; control characters and a trailing backslash are refused because
    /// they could end the value early.
    /// </summary>
    internal static string Quote(string key, string value)
    {
        if (SourceOptions.LaunchUnsafeReason(value) is { } reason)
            throw new ArgumentException($"{key} = \"{value}\" cannot be passed to GStreamer: {reason}", key);
        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    private static string Size(SourceOptions o) =>
        o.Width > 0 && o.Height > 0 ? string.Create(CultureInfo.InvariantCulture, $",width={o.Width},height={o.Height}") : "";

    /// <summary>A GStreamer fraction: 30 → 30/1, 29.97 → 2997/100, 0.5 → 1/2.</summary>
    internal static string Fraction(double fps)
    {
        const int scale = 1000;
        long numerator = (long)Math.Round(fps * scale), denominator = scale;
        long gcd = Gcd(numerator, denominator);
        return string.Create(CultureInfo.InvariantCulture, $"{numerator / gcd}/{denominator / gcd}");
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a == 0 ? 1 : a;
    }
}
