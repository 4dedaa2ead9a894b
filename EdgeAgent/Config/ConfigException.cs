namespace Edge.Agent.Config;

/// <summary>A configuration error: names the file, the key path, the bad value and what is allowed.</summary>
public sealed class ConfigException(string message) : Exception(message);
