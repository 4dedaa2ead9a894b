using System.Runtime.InteropServices;
using Edge.Agent.Config;
using Edge.Agent.Hosting;

namespace Edge.Agent.Cli;

/// <summary><c>edge run [--config FILE]</c>: the agent.</summary>
internal static class RunCommand
{
    public const string Usage = """
        usage: edge run [--config FILE]

        Runs the agent: the configured pipelines, the festival kiosk when the config has a "kiosk" section,
        MQTT with the durable outbox, /healthz and /metrics.
        FILE defaults to /etc/edge/agent.json; docs/config.md describes every key.
        Exit codes: 0 stopped cleanly, 1 could not start, 78 bad configuration.
        """;

    public const int ConfigError = 78;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, "config");
        var path = cl.Value("config") ?? AgentConfig.DefaultPath;
        cl.RejectUnknown();
        if (cl.Positional.Count > 0) throw new UsageException($"edge run takes no arguments, given '{cl.Positional[0]}'");
        AgentConfig config;
        try { config = AgentConfig.Load(path); }
        catch (ConfigException e)
        {
            stderr.WriteLine($"edge run: {e.Message}");
            return ConfigError;
        }
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        return EdgeAgentHost.RunAsync(config, stop.Token).GetAwaiter().GetResult();
    }
}
