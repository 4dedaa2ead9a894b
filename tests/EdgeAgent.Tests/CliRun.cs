using Edge.Agent.Cli;

namespace Edge.Agent.Tests;

/// <summary>Runs the <c>edge</c> command line in-process, as the CLI tests do.</summary>
internal static class CliRun
{
    /// <summary>The exit code and what <c>edge ARGS…</c> wrote to stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Capture(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = EdgeCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
