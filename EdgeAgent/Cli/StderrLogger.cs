using Microsoft.Extensions.Logging;

namespace Edge.Agent.Cli;

/// <summary>Warnings and errors from the engine, written synchronously to the command's error stream.</summary>
internal sealed class StderrLogger(TextWriter stderr, LogLevel minimum = LogLevel.Warning) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var level = logLevel switch { LogLevel.Warning => "warning", LogLevel.Error => "error", LogLevel.Critical => "critical", _ => "info" };
        lock (stderr) stderr.WriteLine($"edge: {level}: {formatter(state, exception)}");
    }
}
