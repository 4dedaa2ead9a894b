using System.Text;

namespace Edge.Agent.Mqtt;

public enum MqttProtocol { V311, V5 }

/// <summary>TLS settings: the CA that signed the broker's certificate, and optionally a client certificate and key (PEM files).</summary>
public sealed record MqttTlsOptions(string CaFile, string? CertFile = null, string? KeyFile = null, bool VerifyHostname = true);

/// <summary>The message the broker publishes for us if our connection ends without a DISCONNECT.</summary>
public sealed record MqttWill(string Topic, byte[] Payload, int Qos, bool Retain);

/// <summary>Everything <see cref="MqttClient"/> needs; checked in one place by <see cref="Validate"/>.</summary>
public sealed record MqttOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 1883;
    public required string ClientId { get; init; }
    public MqttProtocol Protocol { get; init; } = MqttProtocol.V5;
    public int KeepAliveSeconds { get; init; } = 30;

    /// <summary>false = persistent session: QoS 1 subscriptions and queued messages survive reconnects.</summary>
    public bool CleanStart { get; init; }

    /// <summary>MQTT 5 session expiry sent on CONNECT when <see cref="CleanStart"/> is false.</summary>
    public uint SessionExpirySeconds { get; init; } = 86400;

    public string? Username { get; init; }
    public string? Password { get; init; }
    public MqttTlsOptions? Tls { get; init; }
    public MqttWill? Will { get; init; }

    /// <summary>Reconnect delays grow exponentially from this, with jitter.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Reconnect delays never exceed this.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>QoS 1/2 messages in flight at once (mosquitto_max_inflight_messages_set); more are queued by the library.</summary>
    public int MaxInflight { get; init; } = 1000;

    /// <summary>Received messages buffered for <see cref="MqttClient.Messages"/>; when full the oldest is dropped and counted.</summary>
    public int MessageBufferCapacity { get; init; } = 1024;

    /// <summary>Throws <see cref="MqttConfigException"/> naming the first bad option, its value and what is allowed.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
            throw new MqttConfigException(nameof(Host), Host, "must be a host name or IP address");
        if (Port is < 1 or > 65535)
            throw new MqttConfigException(nameof(Port), Port, "must be between 1 and 65535");
        if (string.IsNullOrEmpty(ClientId) || ClientId.Contains('\0') || Encoding.UTF8.GetByteCount(ClientId) > 65535)
            throw new MqttConfigException(nameof(ClientId), ClientId, "must be non-empty UTF-8 text of at most 65535 bytes without NUL");
        if (!Enum.IsDefined(Protocol))
            throw new MqttConfigException(nameof(Protocol), Protocol, "must be V311 or V5");
        if (KeepAliveSeconds is < 5 or > 65535)
            throw new MqttConfigException(nameof(KeepAliveSeconds), KeepAliveSeconds, "must be between 5 and 65535 (libmosquitto's limits)");
        if (Password is not null && Username is null)
            throw new MqttConfigException(nameof(Password), "(set)", "needs a Username: MQTT sends no password without a user name");
        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMinDelay > TimeSpan.FromHours(1))
            throw new MqttConfigException(nameof(ReconnectMinDelay), ReconnectMinDelay, "must be more than 0 and at most 1 hour (0 would make reconnects spin)");
        if (ReconnectMaxDelay < ReconnectMinDelay || ReconnectMaxDelay > TimeSpan.FromDays(1))
            throw new MqttConfigException(nameof(ReconnectMaxDelay), ReconnectMaxDelay, $"must be at least ReconnectMinDelay ({ReconnectMinDelay.TotalMilliseconds:0.###} ms) and at most 1 day");
        if (MaxInflight is < 1 or > 65535)
            throw new MqttConfigException(nameof(MaxInflight), MaxInflight, "must be between 1 and 65535 (the MQTT receive-maximum range)");
        if (MessageBufferCapacity < 1)
            throw new MqttConfigException(nameof(MessageBufferCapacity), MessageBufferCapacity, "must be at least 1");

        if (Will is { } will)
        {
            if (MqttTopics.PublishTopicProblem(will.Topic) is { } problem)
                throw new MqttConfigException("Will.Topic", will.Topic, problem);
            if (will.Payload is null)
                throw new MqttConfigException("Will.Payload", null, "must not be null (use an empty array)");
            if (will.Qos is < 0 or > 2)
                throw new MqttConfigException("Will.Qos", will.Qos, "must be 0, 1 or 2");
        }

        if (Tls is { } tls)
        {
            RequireFile("Tls.CaFile", tls.CaFile);
            if ((tls.CertFile is null) != (tls.KeyFile is null))
                throw new MqttConfigException(tls.CertFile is null ? "Tls.CertFile" : "Tls.KeyFile", null,
                    "a client certificate needs both CertFile and KeyFile");
            if (tls.CertFile is not null) RequireFile("Tls.CertFile", tls.CertFile);
            if (tls.KeyFile is not null) RequireFile("Tls.KeyFile", tls.KeyFile);
        }
    }

    private static void RequireFile(string option, string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new MqttConfigException(option, path, "must name a PEM file");
        if (!File.Exists(path))
            throw new MqttConfigException(option, path, $"file not found: {Path.GetFullPath(path)}");
    }
}

/// <summary>Topic-name and topic-filter rules from the MQTT spec, checked before anything reaches the library.</summary>
internal static class MqttTopics
{
    /// <summary>Null when <paramref name="topic"/> can be published to; otherwise what is wrong with it.</summary>
    public static string? PublishTopicProblem(string? topic)
    {
        if (string.IsNullOrEmpty(topic)) return "a topic must not be empty";
        if (topic.AsSpan().IndexOfAny('+', '#', '\0') >= 0) return "a topic to publish to must not contain '+', '#' or NUL";
        return Encoding.UTF8.GetByteCount(topic) > 65535 ? "a topic must be at most 65535 UTF-8 bytes" : null;
    }

    /// <summary>Null when <paramref name="filter"/> is a valid subscription filter; otherwise what is wrong with it.</summary>
    public static string? FilterProblem(string? filter)
    {
        if (string.IsNullOrEmpty(filter)) return "a topic filter must not be empty";
        if (filter.Contains('\0')) return "a topic filter must not contain NUL";
        if (Encoding.UTF8.GetByteCount(filter) > 65535) return "a topic filter must be at most 65535 UTF-8 bytes";
        var levels = filter.Split('/');
        for (int i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Contains('#') && (level != "#" || i != levels.Length - 1)) return "'#' must be a whole level and the last one";
            if (level.Contains('+') && level != "+") return "'+' must be a whole level";
        }
        return null;
    }
}
