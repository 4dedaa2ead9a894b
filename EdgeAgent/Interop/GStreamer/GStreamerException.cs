namespace Edge.Agent.Interop.GStreamer;

/// <summary>GStreamer refused something: a launch string that does not parse, a missing library, caps we cannot read.</summary>
public sealed class GStreamerException : Exception
{
    public GStreamerException(string message) : base(message) { }
    public GStreamerException(string message, Exception? innerException) : base(message, innerException) { }
}
