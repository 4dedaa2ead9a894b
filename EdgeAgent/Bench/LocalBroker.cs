using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Edge.Agent.Bench;

/// <summary>A mosquitto broker the benchmarks start on 127.0.0.1 and a free port, and can stop and start again.</summary>
public sealed class LocalBroker : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-bench-broker-").FullName;
    private Process? _process;

    public LocalBroker()
    {
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        File.WriteAllText(Path.Combine(_dir, "mosquitto.conf"), $"listener {Port} 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 0\nmax_queued_messages 0\n");
        Start();
    }

    public int Port { get; }

    public static string Executable =>
        new[] { "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "mosquitto")))
            .FirstOrDefault(File.Exists) ?? throw new FileNotFoundException("mosquitto not found: install the mosquitto package (scripts/setup does this)");

    public void Start()
    {
        var info = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Path.Combine(_dir, "mosquitto.conf"));
        _process = Process.Start(info)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (Stopwatch.GetTimestamp() < deadline && !_process.HasExited)
            {
                Thread.Sleep(20); // nothing to wait on but the port opening
            }
        }
    }

    public void Stop()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
