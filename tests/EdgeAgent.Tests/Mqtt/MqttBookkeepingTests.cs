using Edge.Agent.Mqtt;

namespace Edge.Agent.Tests.Mqtt;

/// <summary>The reconnect policy and the mid → task table, without a broker.</summary>
public sealed class MqttBookkeepingTests
{
    [Fact]
    public void Reconnect_delays_grow_exponentially_with_jitter_and_stay_between_min_and_max()
    {
        var min = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromSeconds(60);
        var backoff = new ReconnectBackoff(min, max, new Random(7));

        var delays = Enumerable.Range(0, 12).Select(_ => backoff.Next()).ToArray();

        Assert.All(delays, d => Assert.InRange(d, min, max));
        Assert.InRange(delays[0], min, 2 * min);
        Assert.InRange(delays[3], 8 * min, 16 * min);
        for (int i = 1; i < 6; i++) Assert.True(delays[i] >= delays[i - 1]);
        Assert.All(delays[^4..], d => Assert.InRange(d, max / 2, max)); // capped, still spread out
        backoff.Reset();
        Assert.InRange(backoff.Next(), min, 2 * min);
    }

    [Fact]
    public void Jitter_spreads_a_fleet_reconnecting_at_the_same_moment()
    {
        var firstDelays = Enumerable.Range(0, 50)
            .Select(seed => new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(seed)).Next())
            .Distinct()
            .Count();
        Assert.True(firstDelays > 40);
    }

    [Fact]
    public async Task An_ack_that_arrives_before_the_send_registers_its_mid_still_completes_that_send()
    {
        var acks = new PendingAcks((_, code) => code >= 0x80 ? new InvalidOperationException($"code {code}") : null);
        acks.Open();

        acks.BeginSend();
        acks.Ack(7, 0); // the loop thread got the PUBACK while the publishing thread was still in mosquitto_publish
        var task = acks.Track(7, "t", _ => new MqttNotDeliveredException("down"));

        await task.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(0, acks.Count);
    }

    [Fact]
    public void A_stray_ack_outside_a_send_does_not_complete_a_later_send_with_the_same_mid()
    {
        var acks = new PendingAcks((_, _) => null);
        acks.Open();
        acks.Ack(9, 0); // e.g. the library re-sent an old message after a reconnect

        acks.BeginSend();
        var task = acks.Track(9, "t", _ => new MqttNotDeliveredException("down"));

        Assert.False(task.IsCompleted);
        acks.Ack(9, 0);
        Assert.True(task.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Losing_the_connection_faults_every_waiting_send_and_later_sends_fail_at_once()
    {
        var acks = new PendingAcks((_, _) => null);
        acks.Open();
        acks.BeginSend();
        var pending = acks.Track(1, "a", _ => new MqttNotDeliveredException("down"));

        acks.FailAll(topic => new MqttNotDeliveredException($"lost {topic}"));
        acks.BeginSend();
        var late = acks.Track(2, "b", topic => new MqttNotDeliveredException($"not connected {topic}"));

        Assert.Equal("lost a", (await Assert.ThrowsAsync<MqttNotDeliveredException>(() => pending)).Message);
        Assert.Equal("not connected b", (await Assert.ThrowsAsync<MqttNotDeliveredException>(() => late)).Message);
    }

    [Fact]
    public async Task A_failure_reason_code_faults_the_send()
    {
        var acks = new PendingAcks((topic, code) => code >= 0x80 ? new MqttRejectedException(topic, code, "refused") : null);
        acks.Open();
        acks.BeginSend();
        var task = acks.Track(3, "forbidden", _ => new MqttNotDeliveredException("down"));

        acks.Ack(3, 0x87);

        var error = await Assert.ThrowsAsync<MqttRejectedException>(() => task);
        Assert.Equal(("forbidden", 0x87), (error.Topic, error.ReasonCode));
    }
}
