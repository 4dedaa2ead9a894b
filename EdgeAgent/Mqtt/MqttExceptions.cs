namespace Edge.Agent.Mqtt;

/// <summary>Base of every error the MQTT client raises (configuration errors excepted: those are <see cref="MqttConfigException"/>).</summary>
public class MqttException : Exception
{
    public MqttException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A libmosquitto call failed: carries the MOSQ_ERR_* code and mosquitto_strerror's text.</summary>
public sealed class MosquittoException : MqttException
{
    public MosquittoException(int errorCode, string nativeMessage, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
        NativeMessage = nativeMessage;
    }

    /// <summary>The MOSQ_ERR_* value the library returned.</summary>
    public int ErrorCode { get; }

    /// <summary>What mosquitto_strerror says about <see cref="ErrorCode"/>.</summary>
    public string NativeMessage { get; }
}

/// <summary>An option (or an argument standing in for one) is invalid; the message names it, its value and what is allowed.</summary>
public sealed class MqttConfigException : ArgumentException
{
    public MqttConfigException(string option, object? value, string allowed)
        : base($"MQTT option {option} = {Show(value)}: {allowed}", option)
    {
        Option = option;
        Value = value;
    }

    public string Option { get; }
    public object? Value { get; }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        TimeSpan t => $"{t.TotalMilliseconds:0.###} ms",
        _ => value.ToString() ?? "",
    };
}

/// <summary>The first connection attempt of <see cref="MqttClient.ConnectAsync"/> failed; the message names host:port and why.</summary>
public sealed class MqttConnectException : MqttException
{
    public MqttConnectException(string host, int port, string message, int? reasonCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Host = host;
        Port = port;
        ReasonCode = reasonCode;
    }

    public string Host { get; }
    public int Port { get; }

    /// <summary>The broker's CONNACK reason code when the broker refused; null when no CONNACK arrived.</summary>
    public int? ReasonCode { get; }
}

/// <summary>
/// A message may not have reached the broker (not connected, or the connection dropped before the acknowledgement).
/// The caller still owns it and should send it again; the broker may see it twice (at-least-once).
/// </summary>
public sealed class MqttNotDeliveredException : MqttException
{
    public MqttNotDeliveredException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>The broker acknowledged a publish or subscribe with a failure reason code (0x80 or above): resending will not help.</summary>
public sealed class MqttRejectedException : MqttException
{
    public MqttRejectedException(string topic, int reasonCode, string message) : base(message)
    {
        Topic = topic;
        ReasonCode = reasonCode;
    }

    public string Topic { get; }
    public int ReasonCode { get; }
}
