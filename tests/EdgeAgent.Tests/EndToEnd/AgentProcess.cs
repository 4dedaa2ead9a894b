using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Edge.Agent.Tests.EndToEnd;

/// <summary>The real <c>edge run</c> as a child process (the edge.dll built beside the tests).</summary>
public sealed partial class AgentProcess : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = new();
    private readonly List<(string Fragment, TaskCompletionSource Seen)> _waiters = new();
    private readonly Process _process;

    public AgentProcess(string configPath, IDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "edge.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"edge.dll not found beside the tests: {dll}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("run");
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(configPath);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) OnLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) OnLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    private void OnLine(string line)
    {
        lock (_gate)
        {
            _lines.Add(line);
            foreach (var w in _waiters.Where(w => line.Contains(w.Fragment, StringComparison.Ordinal)).ToList())
            {
                w.Seen.TrySetResult();
                _waiters.Remove(w);
            }
        }
    }

    /// <summary>The highest "cards frame N" the agent's log sink has printed (0 before the first).</summary>
    public int LastFrameLogged
    {
        get
        {
            lock (_gate)
                return _lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"cards frame (\d+) "))
                    .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();
        }
    }

    public string Output
    {
        get { lock (_gate) return string.Join('\n', _lines); }
    }

    public async Task WaitForOutputAsync(string fragment, TimeSpan timeout)
    {
        TaskCompletionSource seen;
        lock (_gate)
        {
            if (_lines.Any(l => l.Contains(fragment, StringComparison.Ordinal))) return;
            seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((fragment, seen));
        }
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout));
        if (first == seen.Task) return;
        throw new TimeoutException(first == exited
            ? $"the agent exited ({_process.ExitCode}) before printing \"{fragment}\":\n{Output}"
            : $"the agent did not print \"{fragment}\" within {timeout.TotalSeconds} s:\n{Output}");
    }

    /// <summary>SIGTERM and wait: the agent finishes its frames and flushes; returns the exit code.</summary>
    public int Stop(TimeSpan timeout)
    {
        if (!_process.HasExited) kill(_process.Id, 15);
        if (!_process.WaitForExit(timeout)) throw new TimeoutException($"the agent did not exit within {timeout.TotalSeconds} s of SIGTERM:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no chance to flush anything.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill();
        _process.WaitForExit();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) throw new TimeoutException($"the agent did not exit within {timeout.TotalSeconds} s:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
