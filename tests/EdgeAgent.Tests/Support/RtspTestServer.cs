using System.Diagnostics;

namespace Edge.Agent.Tests.Support;

/// <summary>
/// A real RTSP server (gst-rtsp-server via Debian's python3-gi) on 127.0.0.1 and a free port, serving a
/// live MJPEG test pattern at <see cref="Url"/>. Stop and Start again on the same port simulate a camera
/// that drops off the network and comes back.
/// </summary>
public sealed class RtspTestServer : IDisposable
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Support", "rtsp_server.py");
    private Process? _process;

    public int Port { get; } = MosquittoBroker.FreePort();
    public string Url => $"rtsp://127.0.0.1:{Port}/live";

    public static RtspTestServer StartNew()
    {
        var server = new RtspTestServer();
        server.Start();
        return server;
    }

    public void Start()
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", [Script, Port.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the RTSP test server");
        _process = process;
        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(20)) || ready.Result != "ready")
        {
            string err = process.HasExited ? process.StandardError.ReadToEnd() : "(no answer within 20 s)";
            Stop();
            throw new InvalidOperationException($"RTSP test server did not start: {err.Trim()}\n" +
                "it needs python3-gi and gir1.2-gst-rtsp-server-1.0 (scripts/setup installs them)");
        }
    }

    public void Stop()
    {
        if (_process is not { } p) return;
        if (!p.HasExited)
        {
            p.Kill();
            p.WaitForExit();
        }
        p.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();
}
