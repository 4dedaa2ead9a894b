using Edge.Agent.Capture;

namespace Edge.Agent.Tests.Capture;

public sealed class SourceOptionsTests
{
    public static TheoryData<SourceOptions, string, string> Invalid => new()
    {
        { new SourceOptions { Type = SourceType.Camera }, "source.device", "/dev/video0" },
        { new SourceOptions { Type = SourceType.Camera, Device = "video0" }, "source.device", "\"video0\"" },
        { new SourceOptions { Type = SourceType.Camera, Device = "csi:x" }, "source.device", "csi:N" },
        { new SourceOptions { Type = SourceType.Camera, Device = "/dev/video0\n! fakesink" }, "source.device", "control character" },
        { new SourceOptions { Type = SourceType.Rtsp, Url = "http://camera/stream" }, "source.url", "rtsp://" },
        { new SourceOptions { Type = SourceType.Rtsp }, "source.url", "missing" },
        { new SourceOptions { Type = SourceType.Video, Path = "/no/such/clip.avi" }, "source.path", "/no/such/clip.avi" },
        { new SourceOptions { Type = SourceType.Video, Path = Path.GetTempPath() }, "source.path", "existing video file" },
        { new SourceOptions { Type = SourceType.Images, Path = "/no/such/folder" }, "source.path", "existing folder" },
        { new SourceOptions { Type = SourceType.TestPattern, Pattern = "smpte ! fakesink" }, "source.pattern", "smpte ! fakesink" },
        { new SourceOptions { Type = SourceType.GStreamer }, "source.pipeline", "appsink name=sink" },
        { new SourceOptions { Type = SourceType.TestPattern, Width = 320 }, "source.height", "both" },
        { new SourceOptions { Type = SourceType.TestPattern, Width = -1, Height = 10 }, "source.width", "-1" },
        { new SourceOptions { Type = SourceType.TestPattern, Fps = double.NaN }, "source.fps", "NaN" },
        { new SourceOptions { Type = SourceType.TestPattern, Fps = -5 }, "source.fps", "-5" },
        { new SourceOptions { Type = (SourceType)42 }, "source.type", "TestPattern" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_names_the_key_the_value_and_what_is_allowed(SourceOptions options, string key, string fragment)
    {
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Equal(key, error.ParamName);
        Assert.StartsWith(key, error.Message);
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void Create_validates_before_building_a_source()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => FrameSources.Create("cam", new SourceOptions { Type = SourceType.Camera }));
        Assert.Equal("source.device", error.ParamName);
    }

    [Fact]
    public void Valid_options_pass()
    {
        new SourceOptions { Type = SourceType.Camera, Device = "/dev/video9" }.Validate();
        new SourceOptions { Type = SourceType.Camera, Device = "libcamera" }.Validate();
        new SourceOptions { Type = SourceType.Camera, Device = "csi:1" }.Validate();
        new SourceOptions { Type = SourceType.Rtsp, Url = "rtsp://user:pw@10.0.0.5:554/stream1" }.Validate();
        new SourceOptions { Type = SourceType.Images, Path = Path.GetTempPath() }.Validate();
        new SourceOptions { Type = SourceType.TestPattern, Pattern = "checkers-8", Width = 640, Height = 480, Fps = 29.97 }.Validate();
        new SourceOptions { Type = SourceType.GStreamer, Pipeline = "videotestsrc ! appsink name=sink" }.Validate();
    }

    [Fact]
    public void Describe_gives_the_launch_string_of_each_source_type()
    {
        const string tail = " ! appsink name=sink max-buffers=2 drop=true sync=false emit-signals=false";
        Assert.Equal("v4l2src device=\"/dev/video0\" ! videoconvert ! videoscale ! video/x-raw,format=RGB" + tail,
            GStreamerPipelines.Describe(new SourceOptions { Type = SourceType.Camera, Device = "/dev/video0" }));
        Assert.Equal("libcamerasrc ! videoconvert ! videoscale ! videorate ! video/x-raw,format=RGB,width=640,height=480,framerate=15/1" + tail,
            GStreamerPipelines.Describe(new SourceOptions { Type = SourceType.Camera, Device = "libcamera", Width = 640, Height = 480, Fps = 15 }));
        Assert.Equal("nvarguscamerasrc sensor-id=1 ! nvvidconv ! video/x-raw,format=BGRx,width=1280,height=720 ! videoconvert ! videoscale ! video/x-raw,format=RGB,width=1280,height=720" + tail,
            GStreamerPipelines.Describe(new SourceOptions { Type = SourceType.Camera, Device = "csi:1", Width = 1280, Height = 720 }));
        Assert.Equal("rtspsrc location=\"rtsp://10.0.0.5/live\" latency=200 ! decodebin ! videoconvert ! videoscale ! video/x-raw,format=RGB" + tail,
            GStreamerPipelines.Describe(new SourceOptions { Type = SourceType.Rtsp, Url = "rtsp://10.0.0.5/live" }));
        Assert.Equal("filesrc location=\"/data/clip.mp4\" ! decodebin ! videoconvert ! videoscale ! videorate ! video/x-raw,format=RGB,framerate=2997/100 ! appsink name=sink max-buffers=2 drop=true sync=true emit-signals=false",
            GStreamerPipelines.Describe(new SourceOptions { Type = SourceType.Video, Path = "/data/clip.mp4", Fps = 29.97 }));
        Assert.Equal("videotestsrc is-live=true pattern=smpte ! videoconvert ! videoscale ! video/x-raw,format=RGB,width=320,height=240" + tail,
            GStreamerPipelines.Describe(new SourceOptions { Type = SourceType.TestPattern, Width = 320, Height = 240 }));
        Assert.Equal("videotestsrc ! appsink name=sink",
            GStreamerPipelines.Describe(new SourceOptions { Type = SourceType.GStreamer, Pipeline = "videotestsrc ! appsink name=sink" }));
    }

    [Theory]
    [InlineData("a.avi ! fakesink", "\"a.avi ! fakesink\"")]
    [InlineData("say \"hi\".avi", "\"say \\\"hi\\\".avi\"")]
    [InlineData("back\\slash.avi", "\"back\\\\slash.avi\"")]
    [InlineData("ends in quote\"", "\"ends in quote\\\"\"")]
    public void Values_are_quoted_so_pipeline_syntax_stays_inside_them(string value, string quoted)
    {
        Assert.Equal(quoted, GStreamerPipelines.Quote("source.path", value));
    }

    [Theory]
    [InlineData("clip.avi\\")]
    [InlineData("clip\n.avi")]
    public void Values_that_could_end_a_quoted_value_early_are_refused(string value)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => GStreamerPipelines.Describe(new SourceOptions { Type = SourceType.Video, Path = value }));
        Assert.Equal("source.path", error.ParamName);
    }

    [Theory]
    [InlineData(30, "30/1")]
    [InlineData(29.97, "2997/100")]
    [InlineData(0.5, "1/2")]
    [InlineData(7.5, "15/2")]
    public void Frame_rates_become_gstreamer_fractions(double fps, string fraction) =>
        Assert.Equal(fraction, GStreamerPipelines.Fraction(fps));
}
