using System.Runtime.InteropServices;
using Edge.Agent.Interop.GStreamer;

namespace Edge.Agent.Tests.Capture;

/// <summary>The struct layouts we read must match the 64-bit C headers (GStreamer 1.x ABI).</summary>
public sealed class GstLayoutTests
{
    [Fact]
    public unsafe void Struct_layouts_match_the_64_bit_headers()
    {
        Assert.Equal(104, sizeof(GstMapInfo));
        Assert.Equal(16, (int)Marshal.OffsetOf<GstMapInfo>(nameof(GstMapInfo.Data)));
        Assert.Equal(24, (int)Marshal.OffsetOf<GstMapInfo>(nameof(GstMapInfo.Size)));

        Assert.Equal(280, sizeof(GstVideoInfo));
        Assert.Equal(16, (int)Marshal.OffsetOf<GstVideoInfo>(nameof(GstVideoInfo.Width)));
        Assert.Equal(104, (int)Marshal.OffsetOf<GstVideoInfo>(nameof(GstVideoInfo.Stride)));

        Assert.Equal(64, (int)Marshal.OffsetOf<GstMessageHead>(nameof(GstMessageHead.Type)));
        Assert.Equal(80, (int)Marshal.OffsetOf<GstMessageHead>(nameof(GstMessageHead.Source)));

        Assert.Equal(8, (int)Marshal.OffsetOf<GError>(nameof(GError.Message)));
    }
}
