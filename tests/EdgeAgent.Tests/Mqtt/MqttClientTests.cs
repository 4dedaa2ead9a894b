using System.Diagnostics;
using Edge.Agent.Mqtt;
using Edge.Agent.Tests.Support;
using Xunit.Abstractions;
using static Edge.Agent.Tests.Support.MqttTestExtensions;

namespace Edge.Agent.Tests.Mqtt;

/// <summary>MqttClient against a real mosquitto broker started per test.</summary>
public sealed class MqttClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Messages_published_at_qos_0_and_1_arrive_with_topic_payload_qos_and_user_properties()
    {
        using var broker = MosquittoBroker.Start(null);
        string root = Unique("t");
        await using var subscriber = await broker.ConnectClientAsync(Unique("sub"));
        await using var publisher = await broker.ConnectClientAsync(Unique("pub"));
        await subscriber.SubscribeAsync($"{root}/#", qos: 1).Within("SUBACK");

        await publisher.PublishAsync($"{root}/zero", "fire and forget".Utf8(), qos: 0).Within("QoS 0 hand-over");
        await publisher.PublishAsync($"{root}/one", "acknowledged".Utf8(), qos: 1, properties: new MqttPublishProperties
        {
            UserProperties = [new("site", "hall-3"), new("site", "line-2"), new("schema", "1")],
            ContentType = "text/plain",
            MessageExpirySeconds = 60,
        }).Within("PUBACK");

        var received = new[] { await subscriber.NextMessageAsync(), await subscriber.NextMessageAsync() }.ToDictionary(m => m.Topic);
        var zero = received[$"{root}/zero"];
        Assert.Equal("fire and forget", zero.Text());
        Assert.Equal(0, zero.Qos);
        Assert.False(zero.Retain);
        Assert.Empty(zero.UserProperties);

        var one = received[$"{root}/one"];
        Assert.Equal("acknowledged", one.Text());
        Assert.Equal(1, one.Qos);
        Assert.False(one.Retain);
        Assert.Equal([new("site", "hall-3"), new("site", "line-2"), new("schema", "1")], one.UserProperties);
        Assert.Null(one.ResponseTopic);
        Assert.Null(one.CorrelationData);
    }

    [Fact]
    public async Task A_retained_message_reaches_a_later_subscriber_with_the_retain_flag_set()
    {
        using var broker = MosquittoBroker.Start(null);
        string topic = Unique("retained");
        await using (var publisher = await broker.ConnectClientAsync(Unique("pub")))
            await publisher.PublishAsync(topic, "last known".Utf8(), qos: 1, retain: true).Within("PUBACK");

        await using var subscriber = await broker.ConnectClientAsync(Unique("sub"));
        await subscriber.SubscribeAsync(topic, qos: 1).Within("SUBACK");
        var message = await subscriber.NextMessageAsync();

        Assert.Equal((topic, "last known", 1, true), (message.Topic, message.Text(), message.Qos, message.Retain));
    }

    [Fact]
    public async Task A_qos_1_publish_completes_only_after_the_broker_acknowledges_it()
    {
        using var broker = MosquittoBroker.Start(null);
        await using var proxy = new TcpProxy(broker.Port);
        string topic = Unique("acked");
        await using var observer = await broker.ConnectClientAsync(Unique("obs"));
        await observer.SubscribeAsync(topic).Within("SUBACK");
        await using var client = new MqttClient(broker.ClientOptions(Unique("pub")) with { Port = proxy.Port });
        await client.ConnectAsync(CancellationToken.None).Within("connect through the proxy");

        proxy.HoldBrokerToClient(); // the PUBACK will be held here
        var publish = client.PublishAsync(topic, "held ack".Utf8(), qos: 1);
        var seen = await observer.NextMessageAsync(); // the broker has the message, so it has sent the PUBACK

        Assert.Equal("held ack", seen.Text());
        Assert.False(publish.IsCompleted, "the publish completed although its PUBACK was still held in the proxy");
        await proxy.ReleaseBrokerToClient();
        await publish.Within("completion after the PUBACK is released");
    }

    [Fact]
    public async Task A_request_and_its_response_round_trip_over_mqtt_5_with_response_topic_and_correlation_data()
    {
        using var broker = MosquittoBroker.Start(null);
        string requests = Unique("cmd"), replies = Unique("reply");
        await using var device = await broker.ConnectClientAsync(Unique("device"));
        await using var operatorClient = await broker.ConnectClientAsync(Unique("operator"));
        await device.SubscribeAsync($"{requests}/#").Within("device SUBACK");
        await operatorClient.SubscribeAsync(replies).Within("operator SUBACK");

        byte[] correlation = [0xCA, 0xFE, 0x00, 0x01];
        await operatorClient.PublishAsync($"{requests}/reboot", "{\"schema\":1}".Utf8(), properties: new MqttPublishProperties
        {
            ResponseTopic = replies,
            CorrelationData = correlation,
        }).Within("request PUBACK");

        var request = await device.NextMessageAsync();
        Assert.Equal(replies, request.ResponseTopic);
        Assert.Equal(correlation, request.CorrelationData?.ToArray());
        await device.ReplyAsync(request, "accepted".Utf8(), fallbackTopic: Unique("unused")).Within("reply PUBACK");

        var reply = await operatorClient.NextMessageAsync();
        Assert.Equal((replies, "accepted"), (reply.Topic, reply.Text()));
        Assert.Equal(correlation, reply.CorrelationData?.ToArray());
    }

    [Fact]
    public async Task Mqtt_3_1_1_works_and_ReplyAsync_answers_on_the_fallback_topic()
    {
        using var broker = MosquittoBroker.Start(null);
        string requests = Unique("cmd"), fallback = Unique("fallback");
        await using var device = await broker.ConnectClientAsync(Unique("device"), MqttProtocol.V311);
        await using var operatorClient = await broker.ConnectClientAsync(Unique("operator"), MqttProtocol.V311);
        await device.SubscribeAsync($"{requests}/#").Within("device SUBACK");
        await operatorClient.SubscribeAsync(fallback).Within("operator SUBACK");

        Assert.Throws<ArgumentException>(() => { _ = operatorClient.PublishAsync(requests, "x".Utf8(),
            properties: new MqttPublishProperties { ResponseTopic = fallback }); });
        await operatorClient.PublishAsync($"{requests}/status", "ping".Utf8()).Within("request PUBACK");
        var request = await device.NextMessageAsync();
        Assert.Null(request.ResponseTopic);
        Assert.Null(request.CorrelationData);
        Assert.Empty(request.UserProperties);

        await device.ReplyAsync(request, "pong".Utf8(), fallback).Within("reply PUBACK");
        var reply = await operatorClient.NextMessageAsync();
        Assert.Equal((fallback, "pong", 1), (reply.Topic, reply.Text(), reply.Qos));
    }

    [Fact]
    public async Task Stopping_the_broker_moves_the_client_to_Reconnecting_and_faults_an_unacknowledged_publish()
    {
        using var broker = MosquittoBroker.Start(null);
        await using var proxy = new TcpProxy(broker.Port);
        string topic = Unique("outbox");
        await using var observer = await broker.ConnectClientAsync(Unique("obs"));
        await observer.SubscribeAsync(topic).Within("SUBACK");
        await using var client = new MqttClient(broker.ClientOptions(Unique("agent")) with { Port = proxy.Port });
        await client.ConnectAsync(CancellationToken.None).Within("connect");
        var reconnecting = client.WaitForStateAsync(MqttConnectionState.Reconnecting);

        proxy.HoldBrokerToClient();
        var publish = client.PublishAsync(topic, "result 42".Utf8(), qos: 1);
        await observer.NextMessageAsync(); // reached the broker; its PUBACK is held
        broker.Stop();

        await reconnecting;
        var error = await Assert.ThrowsAsync<MqttNotDeliveredException>(() => publish.Within("publish failure"));
        Assert.Contains(topic, error.Message);
        Assert.StartsWith("connection lost:", client.LastError);
        await Assert.ThrowsAsync<MqttNotDeliveredException>(() => client.PublishAsync(topic, "while down".Utf8()));
    }

    [Fact]
    public async Task After_a_broker_restart_the_client_reconnects_by_itself_and_its_subscription_is_restored()
    {
        using var broker = MosquittoBroker.Start(null); // no persistence: only the client's re-subscribe can restore it
        string topic = Unique("model");
        await using var client = await broker.ConnectClientAsync(Unique("agent"));
        await client.SubscribeAsync(topic).Within("SUBACK");
        var reconnecting = client.WaitForStateAsync(MqttConnectionState.Reconnecting);

        broker.Stop();
        await reconnecting;
        var connected = client.WaitForStateAsync(MqttConnectionState.Connected);
        broker.Start();
        await connected;

        await using var publisher = await broker.ConnectClientAsync(Unique("pub"));
        await publisher.PublishAsync(topic, "manifest v2".Utf8()).Within("PUBACK");
        Assert.Equal("manifest v2", (await client.NextMessageAsync()).Text());
    }

    [Fact]
    public async Task A_persistent_session_gets_the_qos_1_message_published_while_the_client_was_away()
    {
        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { Persistence = true });
        string topic = Unique("cmd"), id = Unique("agent");
        var options = broker.ClientOptions(id) with { CleanStart = false };

        await using (var first = new MqttClient(options))
        {
            await first.ConnectAsync(CancellationToken.None).Within("first connect");
            await first.SubscribeAsync(topic, qos: 1).Within("SUBACK");
            // A restart in between: the client reconnects by itself, and that CONNECT must carry the session expiry too.
            var back = first.WaitForStateAsync(MqttConnectionState.Reconnecting)
                .ContinueWith(_ => first.WaitForStateAsync(MqttConnectionState.Connected), TaskScheduler.Default).Unwrap();
            broker.Stop();
            broker.Start();
            await back;
        }
        await broker.WaitForLogAsync($"Client {id} disconnected");

        await using (var publisher = await broker.ConnectClientAsync(Unique("pub")))
            await publisher.PublishAsync(topic, "queued for you".Utf8(), qos: 1).Within("PUBACK");

        await using var again = new MqttClient(options);
        await again.ConnectAsync(CancellationToken.None).Within("second connect");
        var message = await again.NextMessageAsync();
        Assert.Equal((topic, "queued for you", 1), (message.Topic, message.Text(), message.Qos));
    }

    [Fact]
    public async Task The_will_is_published_when_the_connection_dies_without_a_disconnect()
    {
        using var broker = MosquittoBroker.Start(null);
        await using var proxy = new TcpProxy(broker.Port);
        string willTopic = Unique("status"), id = Unique("agent");
        await using var observer = await broker.ConnectClientAsync(Unique("obs"));
        await observer.SubscribeAsync(willTopic).Within("SUBACK");
        await using var client = new MqttClient(broker.ClientOptions(id) with
        {
            Port = proxy.Port,
            Will = new MqttWill(willTopic, "offline".Utf8(), 1, false),
        });
        await client.ConnectAsync(CancellationToken.None).Within("connect");

        proxy.CutAll(); // RST on both sides: to the broker the agent just vanished

        var will = await observer.NextMessageAsync();
        Assert.Equal((willTopic, "offline"), (will.Topic, will.Text()));
    }

    [Fact]
    public async Task Disposing_the_client_disconnects_cleanly_so_no_will_is_published()
    {
        using var broker = MosquittoBroker.Start(null);
        string willTopic = Unique("status"), id = Unique("agent");
        await using var observer = await broker.ConnectClientAsync(Unique("obs"));
        await observer.SubscribeAsync(willTopic).Within("SUBACK");
        var client = new MqttClient(broker.ClientOptions(id) with { Will = new MqttWill(willTopic, "offline".Utf8(), 1, false) });
        await client.ConnectAsync(CancellationToken.None).Within("connect");

        await client.DisposeAsync();
        await broker.WaitForLogAsync($"Client {id} disconnected."); // the broker has handled our DISCONNECT (a lost client logs differently)
        await using var publisher = await broker.ConnectClientAsync(Unique("pub"));
        await publisher.PublishAsync(willTopic, "marker".Utf8()).Within("PUBACK");

        Assert.Equal("marker", (await observer.NextMessageAsync()).Text());
    }

    [Fact]
    public async Task Tls_connects_with_the_test_ca_and_a_client_certificate()
    {
        var pki = TestCertificates.Shared;
        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { Tls = pki });
        string topic = Unique("secure");
        await using var client = new MqttClient(broker.ClientOptions(Unique("agent")) with
        {
            Tls = new MqttTlsOptions(pki.CaFile, pki.ClientCertFile, pki.ClientKeyFile),
        });
        await client.ConnectAsync(CancellationToken.None).Within("TLS connect");
        await client.SubscribeAsync(topic).Within("SUBACK");
        await client.PublishAsync(topic, "over tls".Utf8()).Within("PUBACK");

        Assert.Equal("over tls", (await client.NextMessageAsync()).Text());
    }

    [Fact]
    public async Task Tls_without_the_required_client_certificate_fails_to_connect_naming_the_endpoint()
    {
        var pki = TestCertificates.Shared;
        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { Tls = pki });
        await using var client = new MqttClient(broker.ClientOptions(Unique("agent")) with { Tls = new MqttTlsOptions(pki.CaFile) });

        var error = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync(CancellationToken.None).Within("TLS refusal"));
        output.WriteLine(error.Message);
        Assert.StartsWith($"TLS failed: {broker.Host}:{broker.Port}", error.Message);
        Assert.Equal(MqttConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task A_broker_refusal_fails_ConnectAsync_with_the_connack_reason_code()
    {
        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { AllowAnonymous = false });
        await using var client = new MqttClient(broker.ClientOptions(Unique("agent")));

        var error = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync(CancellationToken.None).Within("refusal"));

        Assert.Equal(135, error.ReasonCode);
        Assert.Equal($"broker refused the connection: {broker.Host}:{broker.Port} (reason 135: Not authorized)", error.Message);
    }

    [Fact]
    public async Task Connecting_to_a_port_nobody_listens_on_fails_quickly_naming_host_and_port()
    {
        int port = MosquittoBroker.FreePort();
        await using var client = new MqttClient(new MqttOptions { ClientId = Unique("agent"), Port = port });
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync(CancellationToken.None).Within("refusal"));

        output.WriteLine($"{error.Message} after {watch.ElapsedMilliseconds} ms");
        Assert.Equal($"connection refused: 127.0.0.1:{port} (Connection refused)", error.Message);
        Assert.Equal(("127.0.0.1", port), (error.Host, error.Port));
        Assert.Equal(error.Message, client.LastError);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(MqttConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task Start_keeps_retrying_with_growing_delays_and_connects_once_a_broker_appears_on_the_port()
    {
        int port = MosquittoBroker.FreePort();
        var delays = new List<TimeSpan>();
        var threeRetries = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = new MqttClient(new MqttOptions
        {
            ClientId = Unique("agent"),
            Port = port,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
            ReconnectMaxDelay = TimeSpan.FromSeconds(5),
        });
        client.ReconnectScheduled += d =>
        {
            lock (delays)
            {
                delays.Add(d);
                if (delays.Count == 3) threeRetries.TrySetResult();
            }
        };

        client.Start(); // never throws, broker or not
        await threeRetries.Task.Within("three scheduled retries");
        Assert.Equal(MqttConnectionState.Reconnecting, client.State);
        Assert.StartsWith($"connection refused: 127.0.0.1:{port}", client.LastError);

        var connected = client.WaitForStateAsync(MqttConnectionState.Connected);
        using var broker = MosquittoBroker.Start(new MosquittoBrokerOptions { Port = port });
        await connected;

        TimeSpan[] seen;
        lock (delays) seen = [.. delays];
        output.WriteLine("retry delays: " + string.Join(", ", seen.Select(d => $"{d.TotalMilliseconds:0} ms")));
        Assert.All(seen, d => Assert.InRange(d, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5)));
        for (int i = 1; i < 3; i++) Assert.True(seen[i] >= seen[i - 1], $"delay {i} ({seen[i]}) is shorter than delay {i - 1} ({seen[i - 1]})");
        Assert.True(seen[2] > seen[0] * 2, "delays do not grow exponentially");
    }

    [Fact]
    public async Task Cancelling_ConnectAsync_stops_the_attempt_and_the_client_can_connect_again()
    {
        using var broker = MosquittoBroker.Start(null);
        await using var proxy = new TcpProxy(broker.Port);
        await using var client = new MqttClient(broker.ClientOptions(Unique("agent")) with { Port = proxy.Port });
        proxy.HoldBrokerToClient(); // the CONNACK never arrives
        using var cancel = new CancellationTokenSource();

        var attempt = client.ConnectAsync(cancel.Token);
        await client.WaitForStateAsync(MqttConnectionState.Connecting);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt.Within("cancellation"));
        Assert.Equal(MqttConnectionState.Disconnected, client.State);
        await proxy.ReleaseBrokerToClient();
        await client.ConnectAsync(CancellationToken.None).Within("second connect");
        Assert.Equal(MqttConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Dispose_is_idempotent_and_leaves_the_client_unusable()
    {
        using var broker = MosquittoBroker.Start(null);
        var client = await broker.ConnectClientAsync(Unique("agent"));

        await Task.WhenAll(client.DisposeAsync().AsTask(), client.DisposeAsync().AsTask());
        await client.DisposeAsync();

        Assert.Equal(MqttConnectionState.Disconnected, client.State);
        Assert.Throws<ObjectDisposedException>(() => { _ = client.PublishAsync("t", "x".Utf8()); });
        Assert.Throws<ObjectDisposedException>(() => client.Start());
        Assert.True(client.Messages.Completion.IsCompleted);
    }

    [Fact]
    public async Task A_StateChanged_handler_that_throws_neither_kills_the_process_nor_silences_other_handlers()
    {
        using var broker = MosquittoBroker.Start(null);
        string topic = Unique("t");
        var seen = new List<MqttConnectionState>();
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new MqttClient(broker.ClientOptions(Unique("agent")));
        client.StateChanged += _ => throw new InvalidOperationException("a careless handler");
        client.StateChanged += s =>
        {
            lock (seen) seen.Add(s);
            if (s == MqttConnectionState.Disconnected) disconnected.TrySetResult();
        };

        await client.ConnectAsync(CancellationToken.None).Within("connect");
        await client.SubscribeAsync(topic).Within("SUBACK");
        await client.PublishAsync(topic, "still alive".Utf8()).Within("PUBACK");
        Assert.Equal("still alive", (await client.NextMessageAsync()).Text());
        await client.DisposeAsync();
        await disconnected.Task.Within("Disconnected event");

        lock (seen) Assert.Equal([MqttConnectionState.Connecting, MqttConnectionState.Connected, MqttConnectionState.Disconnected], seen);
    }

    [Fact]
    public async Task A_slow_reader_loses_the_oldest_messages_and_they_are_counted()
    {
        using var broker = MosquittoBroker.Start(null);
        string topic = Unique("burst");
        await using var client = new MqttClient(broker.ClientOptions(Unique("agent")) with { MessageBufferCapacity = 2 });
        await client.ConnectAsync(CancellationToken.None).Within("connect");
        await client.SubscribeAsync(topic).Within("SUBACK");
        await using var publisher = await broker.ConnectClientAsync(Unique("pub"));
        for (int i = 1; i <= 5; i++) await publisher.PublishAsync(topic, $"{i}".Utf8()).Within("PUBACK");

        Assert.True(SpinWait.SpinUntil(() => client.DroppedMessages == 3, WaitLimit), $"dropped {client.DroppedMessages}, expected 3");
        Assert.Equal(["4", "5"], new[] { (await client.NextMessageAsync()).Text(), (await client.NextMessageAsync()).Text() });
    }

    [Fact]
    public async Task Twenty_thousand_qos_1_publishes_of_1_KB_are_all_acknowledged()
    {
        using var broker = MosquittoBroker.Start(null);
        await using var client = await broker.ConnectClientAsync(Unique("bench"));
        string topic = Unique("telemetry");
        var payload = new byte[1024];
        Random.Shared.NextBytes(payload);
        const int count = 20_000;

        var watch = Stopwatch.StartNew();
        var acks = new Task[count];
        for (int i = 0; i < count; i++) acks[i] = client.PublishAsync(topic, payload, qos: 1);
        await Task.WhenAll(acks).Within($"{count} PUBACKs", TimeSpan.FromSeconds(120));
        watch.Stop();

        Assert.All(acks, t => Assert.True(t.IsCompletedSuccessfully));
        output.WriteLine($"{count} QoS 1 publishes of 1 KB acknowledged in {watch.ElapsedMilliseconds} ms: " +
            $"{count / watch.Elapsed.TotalSeconds:0} msg/s, {count / 1024.0 / watch.Elapsed.TotalSeconds:0.0} MB/s");
    }
}
