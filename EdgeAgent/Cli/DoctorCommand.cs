using System.Text.Json;
using Edge.Agent.Config;
using Edge.Agent.Diagnostics;

namespace Edge.Agent.Cli;

/// <summary><c>edge doctor [--config FILE] [--json]</c>: checks everything the agent needs and says how to fix what is wrong.</summary>
internal static class DoctorCommand
{
    public const string Usage = """
        usage: edge doctor [--config FILE] [--json]

        Checks the native libraries (found, version), the OCR models (present, SHA-256), the config,
        capture devices, the MQTT broker (reachable) and TLS files, and prints a table with the fix
        for each failure. Without --config, /etc/edge/agent.json is checked when it exists.
        Exit code 1 when anything failed.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, "config");
        bool json = cl.Flag("json");
        var config = cl.Value("config") ?? (File.Exists(AgentConfig.DefaultPath) ? AgentConfig.DefaultPath : null);
        cl.RejectUnknown();
        var checks = Doctor.Run(config, TimeSpan.FromSeconds(2));
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(checks.Select(c => new { name = c.Name, status = c.Status.ToString().ToLowerInvariant(), detail = c.Detail, fix = c.Fix })));
        }
        else
        {
            int width = checks.Max(c => c.Name.Length) + 2;
            foreach (var c in checks)
            {
                var mark = c.Status switch { CheckStatus.Ok => "ok  ", CheckStatus.Warn => "WARN", _ => "FAIL" };
                stdout.WriteLine($"{mark}  {c.Name.PadRight(width)}{c.Detail}");
                if (c.Fix is not null && c.Status != CheckStatus.Ok) stdout.WriteLine($"      {"".PadRight(width)}fix: {c.Fix}");
            }
            int failed = checks.Count(c => c.Status == CheckStatus.Fail), warned = checks.Count(c => c.Status == CheckStatus.Warn);
            stdout.WriteLine(failed == 0 ? $"all {checks.Count} checks passed" + (warned > 0 ? $" ({warned} warning(s))" : "") : $"{failed} of {checks.Count} checks failed");
        }
        return checks.Any(c => c.Status == CheckStatus.Fail) ? 1 : 0;
    }
}
