using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Edge.Agent.Tests.Support;

/// <summary>How a <see cref="MosquittoBroker"/> is configured.</summary>
public sealed record MosquittoBrokerOptions
{
    /// <summary>Keep sessions and queued messages on disk across <see cref="MosquittoBroker.Stop"/>/<see cref="MosquittoBroker.Start"/>.</summary>
    public bool Persistence { get; init; }

    /// <summary>Serve TLS with these certificates instead of plain TCP.</summary>
    public TestCertificates? Tls { get; init; }

    /// <summary>With <see cref="Tls"/>: refuse clients without a certificate signed by the test CA.</summary>
    public bool RequireClientCertificate { get; init; } = true;

    /// <summary>false: clients without credentials are refused (CONNACK "not authorized").</summary>
    public bool AllowAnonymous { get; init; } = true;

    /// <summary>Listen on this port instead of a free one (e.g. a port a client is already retrying).</summary>
    public int? Port { get; init; }

    /// <summary>More mosquitto.conf lines, appended as they are.</summary>
    public IReadOnlyList<string> ExtraConfig { get; init; } = [];
}

/// <summary>
/// A real mosquitto broker for tests: its own temp directory, config, log file and a free port on 127.0.0.1.
/// Start waits until the port accepts connections; Stop sends SIGTERM (the broker saves persistence) and waits;
/// Kill sends SIGKILL; Start again reuses the port. Log lines also arrive as events, so tests can wait on them.
/// </summary>
public sealed partial class MosquittoBroker : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly Lock _logLock = new();
    private readonly List<string> _logLines = [];
    private readonly List<(string Fragment, TaskCompletionSource Seen)> _logWaiters = [];
    private Process? _process;

    public MosquittoBroker(MosquittoBrokerOptions? options = null)
    {
        Options = options ?? new MosquittoBrokerOptions();
        Directory = System.IO.Directory.CreateTempSubdirectory("edge-mosquitto-").FullName;
        Port = Options.Port ?? FreePort();
        LogFile = Path.Combine(Directory, "mosquitto.log");
        ConfigFile = Path.Combine(Directory, "mosquitto.conf");
        File.WriteAllText(ConfigFile, BuildConfig());
    }

    /// <summary>Creates and starts a broker.</summary>
    public static MosquittoBroker Start(MosquittoBrokerOptions? options)
    {
        var broker = new MosquittoBroker(options);
        try
        {
            broker.Start();
            return broker;
        }
        catch
        {
            broker.Dispose();
            throw;
        }
    }

    public MosquittoBrokerOptions Options { get; }
    public string Host => "127.0.0.1";
    public int Port { get; }
    public string Directory { get; }
    public string LogFile { get; }
    public string ConfigFile { get; }
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The mosquitto executable: on PATH, else /usr/sbin/mosquitto.</summary>
    public static string Executable { get; } = FindExecutable();

    /// <summary>Starts the broker (again, on the same port) and waits until the port accepts connections.</summary>
    public void Start(TimeSpan? timeout = null)
    {
        if (IsRunning) throw new InvalidOperationException("the broker is already running");
        var info = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(ConfigFile);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) OnLogLine(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) OnLogLine(e.Data); };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;
        WaitUntilAccepting(timeout ?? DefaultTimeout);
    }

    /// <summary>SIGTERM, then waits for the broker to exit (it writes its persistence file first).</summary>
    public void Stop(TimeSpan? timeout = null)
    {
        if (_process is not { } process || process.HasExited) return;
        if (kill(process.Id, SIGTERM) != 0)
            throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed: {Marshal.GetLastPInvokeErrorMessage()}");
        if (!process.WaitForExit(timeout ?? DefaultTimeout))
        {
            process.Kill();
            throw new TimeoutException($"mosquitto (pid {process.Id}) did not exit within {(timeout ?? DefaultTimeout).TotalSeconds} s of SIGTERM\n{LogTail()}");
        }
        process.WaitForExit(); // drains the redirected output
    }

    /// <summary>SIGKILL: the broker vanishes without saving anything or closing connections cleanly.</summary>
    public void Kill()
    {
        if (_process is not { } process || process.HasExited) return;
        process.Kill();
        process.WaitForExit();
    }

    /// <summary>Completes when a log line containing <paramref name="fragment"/> has appeared (earlier lines count too).</summary>
    public Task WaitForLogAsync(string fragment, TimeSpan? timeout = null)
    {
        TaskCompletionSource seen;
        lock (_logLock)
        {
            if (_logLines.Any(l => l.Contains(fragment, StringComparison.Ordinal))) return Task.CompletedTask;
            seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _logWaiters.Add((fragment, seen));
        }
        var limit = timeout ?? DefaultTimeout;
        return seen.Task.WaitAsync(limit).ContinueWith(t => t.IsFaulted
            ? throw new TimeoutException($"no broker log line containing \"{fragment}\" within {limit.TotalSeconds} s\n{LogTail()}")
            : Task.CompletedTask, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Every log line so far, across restarts.</summary>
    public string Log
    {
        get { lock (_logLock) return string.Join('\n', _logLines); }
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        finally
        {
            _process?.Dispose();
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>A port nothing listens on right now (bind to port 0, read it, release it).</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private string BuildConfig()
    {
        var c = new StringBuilder();
        c.AppendLine($"listener {Port} {Host}");
        c.AppendLine($"allow_anonymous {(Options.AllowAnonymous ? "true" : "false")}");
        c.AppendLine($"log_dest file {LogFile}");
        c.AppendLine("log_dest stderr");
        foreach (var type in new[] { "error", "warning", "notice", "information" }) c.AppendLine($"log_type {type}");
        c.AppendLine("connection_messages true");
        c.AppendLine($"persistence {(Options.Persistence ? "true" : "false")}");
        c.AppendLine($"persistence_location {Directory}/");
        c.AppendLine($"user {Environment.UserName}"); // as root, mosquitto would otherwise switch to a user that cannot write here
        if (Options.Tls is { } tls)
        {
            c.AppendLine($"cafile {tls.CaFile}");
            c.AppendLine($"certfile {tls.ServerCertFile}");
            c.AppendLine($"keyfile {tls.ServerKeyFile}");
            c.AppendLine($"require_certificate {(Options.RequireClientCertificate ? "true" : "false")}");
        }
        foreach (var line in Options.ExtraConfig) c.AppendLine(line);
        return c.ToString();
    }

    private void WaitUntilAccepting(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var interval = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"mosquitto exited with code {_process.ExitCode} during start-up\n{LogTail()}");
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < timeout)
            {
                Thread.Sleep(interval); // polling interval, not synchronisation: the loop ends on success or at the deadline
                interval = TimeSpan.FromMilliseconds(Math.Min(50, interval.TotalMilliseconds * 2));
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"mosquitto did not accept connections on {Host}:{Port} within {timeout.TotalSeconds} s ({e.Message})\n{LogTail()}");
            }
        }
    }

    private void OnLogLine(string line)
    {
        List<TaskCompletionSource> seen = [];
        lock (_logLock)
        {
            _logLines.Add(line);
            for (int i = _logWaiters.Count - 1; i >= 0; i--)
            {
                if (!line.Contains(_logWaiters[i].Fragment, StringComparison.Ordinal)) continue;
                seen.Add(_logWaiters[i].Seen);
                _logWaiters.RemoveAt(i);
            }
        }
        foreach (var s in seen) s.TrySetResult();
    }

    private string LogTail()
    {
        lock (_logLock) return "broker log:\n  " + string.Join("\n  ", _logLines.TakeLast(30));
    }

    private static string FindExecutable()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin"))
        {
            var path = Path.Combine(dir, "mosquitto");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException("the mosquitto broker is not installed (looked on PATH and in /usr/sbin): install the mosquitto package (scripts/setup does this)");
    }

    private const int SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
