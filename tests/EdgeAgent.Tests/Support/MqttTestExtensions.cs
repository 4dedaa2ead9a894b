using Edge.Agent.Mqtt;

namespace Edge.Agent.Tests.Support;

/// <summary>Waiting helpers for MQTT tests: every wait has a timeout and fails with a message saying what did not happen.</summary>
public static class MqttTestExtensions
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    /// <summary>Options for a client of <paramref name="broker"/> with short reconnect delays.</summary>
    public static MqttOptions ClientOptions(this MosquittoBroker broker, string clientId, MqttProtocol protocol = MqttProtocol.V5) => new()
    {
        Host = broker.Host,
        Port = broker.Port,
        ClientId = clientId,
        Protocol = protocol,
        CleanStart = true,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
    };

    /// <summary>A client connected to <paramref name="broker"/> (dispose it).</summary>
    public static async Task<MqttClient> ConnectClientAsync(this MosquittoBroker broker, string clientId, MqttProtocol protocol = MqttProtocol.V5)
    {
        var client = new MqttClient(broker.ClientOptions(clientId, protocol));
        await client.ConnectAsync(CancellationToken.None).Within("connecting " + clientId);
        return client;
    }

    public static async Task<MqttMessage> NextMessageAsync(this MqttClient client, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? WaitLimit);
        try
        {
            return await client.Messages.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no message arrived within {(timeout ?? WaitLimit).TotalSeconds} s (state {client.State}, last error {client.LastError ?? "none"})");
        }
    }

    /// <summary>Completes when the client is in <paramref name="state"/> (now or later).</summary>
    public static Task WaitForStateAsync(this MqttClient client, MqttConnectionState state, TimeSpan? timeout = null)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(MqttConnectionState s)
        {
            if (s == state) reached.TrySetResult();
        }
        client.StateChanged += OnChange;
        if (client.State == state) reached.TrySetResult();
        return reached.Task.Within($"state {state} (now {client.State}, last error {client.LastError ?? "none"})", timeout)
            .ContinueWith(t => { client.StateChanged -= OnChange; return t; }, TaskScheduler.Default).Unwrap();
    }

    public static async Task Within(this Task task, string what, TimeSpan? timeout = null)
    {
        try
        {
            await task.WaitAsync(timeout ?? WaitLimit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{what}: did not happen within {(timeout ?? WaitLimit).TotalSeconds} s");
        }
    }

    public static async Task<T> Within<T>(this Task<T> task, string what, TimeSpan? timeout = null)
    {
        try
        {
            return await task.WaitAsync(timeout ?? WaitLimit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{what}: did not happen within {(timeout ?? WaitLimit).TotalSeconds} s");
        }
    }

    public static string Text(this MqttMessage message) => System.Text.Encoding.UTF8.GetString(message.Payload.Span);

    public static byte[] Utf8(this string s) => System.Text.Encoding.UTF8.GetBytes(s);

    /// <summary>A short unique suffix so tests running side by side never share client ids or topics.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
