using System.Buffers.Binary;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Edge.Agent.Tests.Outbox;

using Edge.Agent.Outbox;
using static OutboxTesting;

public sealed class OutboxCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int LinesBeforeKill = 3_000;
    private readonly OutboxFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_process_killed_mid_stream_loses_no_message_it_was_told_was_committed()
    {
        string path = _folder.File();
        var printed = new List<(long Seq, int Producer, long Count)>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var child = StartChild(path);
        try
        {
            var stderr = child.StandardError.ReadToEndAsync();
            var reading = Task.Run(() =>
            {
                // Reads to the end of the pipe, so lines written just before the kill are checked too.
                while (child.StandardOutput.ReadLine() is { } line)
                {
                    var f = line.Split(' ');
                    printed.Add((long.Parse(f[0]), int.Parse(f[1]), long.Parse(f[2])));
                    if (printed.Count == LinesBeforeKill) enough.TrySetResult();
                }
            });

            if (await Task.WhenAny(enough.Task, reading).WaitAsync(Patience) != enough.Task)
                Assert.Fail($"the child stopped after {printed.Count} line(s): {await stderr}");
            child.Kill(); // SIGKILL: no finally blocks, no Dispose, no flush
            await reading.WaitAsync(Patience);
            await child.WaitForExitAsync().WaitAsync(Patience);
            Assert.Equal(128 + 9, child.ExitCode);
        }
        finally
        {
            if (!child.HasExited) child.Kill(); // never leave it writing after a failed test
        }

        using var outbox = Outbox.Open(new OutboxOptions { Path = path });
        var stored = ReadAll(outbox).ToDictionary(m => m.Seq);
        output.WriteLine($"child printed {printed.Count} committed seqs before it died; the file holds {stored.Count} messages");
        Assert.Equal(printed.Count, printed.Select(p => p.Seq).Distinct().Count());
        foreach (var (seq, producer, count) in printed)
        {
            Assert.True(stored.TryGetValue(seq, out var m), $"seq {seq} was reported committed but is missing after the kill");
            Assert.Equal($"edge/test/{producer}", m.Topic);
            Assert.Equal(producer, BinaryPrimitives.ReadInt32LittleEndian(m.Payload.Span));
            Assert.Equal(count, BinaryPrimitives.ReadInt64LittleEndian(m.Payload.Span[4..]));
        }
        Assert.True(await outbox.EnqueueAsync("s", "t", new byte[1]) > stored.Keys.Max());
    }

    private static Process StartChild(string outboxPath)
    {
        string dll = ChildDll();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(outboxPath);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start dotnet {dll}");
    }

    /// <summary>tests/OutboxCrashChild/bin/&lt;this configuration&gt;/&lt;this framework&gt;/OutboxCrashChild.dll, found from this assembly's folder.</summary>
    private static string ChildDll()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // …/bin/Release/net10.0
        string framework = output.Name, configuration = output.Parent!.Name;
        var repo = output;
        while (repo != null && !File.Exists(Path.Combine(repo.FullName, "Edge.sln"))) repo = repo.Parent;
        Assert.True(repo != null, $"no Edge.sln above {output.FullName}");
        string dll = Path.Combine(repo!.FullName, "tests", "OutboxCrashChild", "bin", configuration, framework, "OutboxCrashChild.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build it with `dotnet build Edge.sln -c {configuration}`");
        return dll;
    }
}
