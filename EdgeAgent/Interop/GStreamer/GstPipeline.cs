using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Edge.Models.Imaging;
using static Edge.Agent.Interop.GStreamer.GstNative;

namespace Edge.Agent.Interop.GStreamer;

internal enum PullResult { Frame, Timeout, EndOfStream }

internal enum BusMessageKind { Error, Warning, EndOfStream }

/// <summary>What the bus reported; <see cref="Source"/> is the posting element's name (e.g. v4l2src0).</summary>
internal readonly record struct BusMessage(BusMessageKind Kind, string? Source, string Text, string? Debug)
{
    public override string ToString() => Source is null ? Text : $"{Source}: {Text}";
}

/// <summary>
/// A parsed pipeline ending in an appsink named "sink", with its bus. Used by one thread: pull frames
/// with <see cref="TryPull"/> and poll the bus with <see cref="TryPopMessage"/> between pulls.
/// Samples and messages live only inside one call and are released in <c>finally</c>, so the
/// steady state allocates nothing managed.
/// </summary>
internal sealed unsafe class GstPipeline : IDisposable
{
    public const string SinkName = "sink";

    private readonly GstPipelineHandle _pipeline;
    private readonly GstObjectHandle _sink;
    private readonly GstObjectHandle _bus;
    private GstMiniObjectHandle? _caps;   // a ref on the last caps seen, so its address cannot be reused
    private int _width, _height, _stride;

    private GstPipeline(GstPipelineHandle pipeline, GstObjectHandle sink, GstObjectHandle bus)
    {
        _pipeline = pipeline;
        _sink = sink;
        _bus = bus;
    }

    /// <summary>Parses a launch string; throws <see cref="GStreamerException"/> with GStreamer's reason.</summary>
    public static GstPipeline Parse(string launch)
    {
        GstRuntime.EnsureInitialized();
        GError* error = null;
        nint raw = gst_parse_launch_full(launch, 0, GST_PARSE_FLAG_FATAL_ERRORS, &error);
        if (raw == 0) throw GstRuntime.TakeError(error, "pipeline does not parse");
        if (error != null) g_error_free(error);
        var pipeline = new GstPipelineHandle(gst_object_ref_sink(raw));
        try
        {
            if (!GstRuntime.IsA(pipeline.DangerousGetHandle(), GstRuntime.BinType))
                throw new GStreamerException($"pipeline has a single element; it must end in an appsink named \"{SinkName}\"");
            var sink = gst_bin_get_by_name(pipeline, SinkName);
            if (sink.IsInvalid)
            {
                sink.Dispose();
                throw new GStreamerException($"pipeline has no element named \"{SinkName}\"; it must end in an appsink named \"{SinkName}\"");
            }
            if (!GstRuntime.IsA(sink.DangerousGetHandle(), GstRuntime.AppSinkType))
            {
                sink.Dispose();
                throw new GStreamerException($"the element named \"{SinkName}\" is not an appsink");
            }
            return new GstPipeline(pipeline, sink, gst_element_get_bus(pipeline));
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }

    /// <summary>Asks for PLAYING; false when the change failed at once (the reason is then on the bus).</summary>
    public bool Play() => gst_element_set_state(_pipeline.DangerousGetHandle(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;

    public bool IsEndOfStream => gst_app_sink_is_eos(_sink) != 0;

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for a sample. With a <paramref name="target"/>, copies it as
    /// tightly packed RGB rows (GStreamer pads each row to 4 bytes; we honour its stride); without one the
    /// sample is released uncopied.
    /// </summary>
    public PullResult TryPull(ImageBuffer? target, TimeSpan timeout)
    {
        nint sample = gst_app_sink_try_pull_sample(_sink, Nanoseconds(timeout));
        if (sample == 0) return IsEndOfStream ? PullResult.EndOfStream : PullResult.Timeout;
        try
        {
            if (target is not null) Copy(sample, target);
            return PullResult.Frame;
        }
        finally
        {
            gst_mini_object_unref(sample);
        }
    }

    private void Copy(nint sample, ImageBuffer target)
    {
        nint caps = gst_sample_get_caps(sample);
        if (_caps is null || caps != _caps.DangerousGetHandle()) ReadLayout(caps);
        nint buffer = gst_sample_get_buffer(sample);
        if (buffer == 0) throw new GStreamerException("appsink sample carries no buffer");
        GstMapInfo map;
        if (gst_buffer_map(buffer, &map, GST_MAP_READ) == 0) throw new GStreamerException("cannot map the appsink buffer for reading");
        try
        {
            int rowBytes = _width * 3;
            long needed = (long)_stride * (_height - 1) + rowBytes;
            if ((long)map.Size < needed)
                throw new GStreamerException($"buffer holds {map.Size} bytes, fewer than {_width}x{_height} RGB with stride {_stride} needs ({needed})");
            target.Reset(_width, _height, PixelFormat.Rgb24);
            if (_stride == rowBytes)
            {
                new ReadOnlySpan<byte>(map.Data, rowBytes * _height).CopyTo(target.Data);
            }
            else
            {
                for (int y = 0; y < _height; y++)
                    new ReadOnlySpan<byte>(map.Data + (long)y * _stride, rowBytes).CopyTo(target.Row(y));
            }
        }
        finally
        {
            gst_buffer_unmap(buffer, &map);
        }
    }

    /// <summary>Reads size and stride when the caps change (once per negotiation, not per frame).</summary>
    private void ReadLayout(nint caps)
    {
        if (caps == 0) throw new GStreamerException("appsink sample carries no caps");
        nint structure = gst_caps_get_structure(caps, 0);
        int width = 0, height = 0;
        byte* format = structure == 0 ? null : gst_structure_get_string(structure, Field("format"u8));
        if (structure == 0 || format == null || !MemoryMarshal.CreateReadOnlySpanFromNullTerminated(format).SequenceEqual("RGB"u8)
            || gst_structure_get_int(structure, Field("width"u8), &width) == 0
            || gst_structure_get_int(structure, Field("height"u8), &height) == 0)
            throw new GStreamerException($"appsink caps must be video/x-raw,format=RGB with a width and height, got {CapsText(caps)}");
        GstVideoInfo info;
        gst_video_info_init(&info);
        if (gst_video_info_from_caps(&info, caps) == 0)
            throw new GStreamerException($"cannot read video info from caps {CapsText(caps)}");
        if (info.Width != width || info.Height != height || info.Stride[0] < width * 3)
            throw new GStreamerException($"video info ({info.Width}x{info.Height}, stride {info.Stride[0]}) disagrees with caps {CapsText(caps)}");
        _width = width;
        _height = height;
        _stride = info.Stride[0];
        _caps?.Dispose();
        _caps = GstMiniObjectHandle.Ref(caps);
    }

    /// <summary>Pops one ERROR, WARNING or EOS message without waiting; false when there is none.</summary>
    public bool TryPopMessage(out BusMessage message) => TryPopMessage(TimeSpan.Zero, out message);

    public bool TryPopMessage(TimeSpan timeout, out BusMessage message)
    {
        nint raw = gst_bus_timed_pop_filtered(_bus, Nanoseconds(timeout), GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_EOS);
        if (raw == 0)
        {
            message = default;
            return false;
        }
        try
        {
            ref readonly var head = ref Unsafe.AsRef<GstMessageHead>((void*)raw);
            string? source = head.Source == 0 ? null : GstRuntime.TakeString(gst_object_get_name(head.Source));
            if (head.Type == GST_MESSAGE_EOS)
            {
                message = new BusMessage(BusMessageKind.EndOfStream, source, "end of stream", null);
                return true;
            }
            bool isError = head.Type == GST_MESSAGE_ERROR;
            GError* error = null;
            byte* debug = null;
            if (isError) gst_message_parse_error(raw, &error, &debug);
            else gst_message_parse_warning(raw, &error, &debug);
            string text = error == null ? "(no message)" : GstRuntime.Utf8(error->Message);
            if (error != null) g_error_free(error);
            message = new BusMessage(isError ? BusMessageKind.Error : BusMessageKind.Warning, source, text, GstRuntime.TakeString(debug));
            return true;
        }
        finally
        {
            gst_mini_object_unref(raw);
        }
    }

    public void Dispose()
    {
        _caps?.Dispose();
        _sink.Dispose();
        _bus.Dispose();
        _pipeline.Dispose();
    }

    private static byte* Field(ReadOnlySpan<byte> nulTerminated) =>
        // UTF-8 literals live in the image and end with a NUL that the span does not count.
        (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(nulTerminated));

    private static ulong Nanoseconds(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? GST_CLOCK_TIME_NONE : (ulong)Math.Max(0, timeout.Ticks) * 100;

    private static string CapsText(nint caps) => caps == 0 ? "(none)" : GstRuntime.TakeString(gst_caps_to_string(caps)) ?? "(none)";
}
