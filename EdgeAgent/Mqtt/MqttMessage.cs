namespace Edge.Agent.Mqtt;

/// <summary>A received message, copied out of libmosquitto's callback. MQTT 5 properties are null/empty under 3.1.1.</summary>
public sealed record MqttMessage(
    string Topic,
    ReadOnlyMemory<byte> Payload,
    int Qos,
    bool Retain,
    string? ResponseTopic,
    ReadOnlyMemory<byte>? CorrelationData,
    IReadOnlyList<KeyValuePair<string, string>> UserProperties);

/// <summary>MQTT 5 PUBLISH properties (publishing them needs <see cref="MqttProtocol.V5"/>).</summary>
public sealed record MqttPublishProperties
{
    public string? ResponseTopic { get; init; }
    public ReadOnlyMemory<byte>? CorrelationData { get; init; }
    public uint? MessageExpirySeconds { get; init; }
    public string? ContentType { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>>? UserProperties { get; init; }
}

public enum MqttConnectionState { Disconnected, Connecting, Connected, Reconnecting }
