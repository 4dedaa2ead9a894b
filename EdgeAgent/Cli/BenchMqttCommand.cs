using System.Diagnostics;
using Edge.Agent.Bench;
using Edge.Agent.Hosting;
using Edge.Agent.Metrics;
using Edge.Agent.Mqtt;
using Edge.Agent.Outbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Agent.Cli;

/// <summary>
/// <c>edge bench mqtt</c>: sustained QoS 1 events through the durable outbox to a local mosquitto,
/// next to the same client publishing directly (no outbox) in the same run; the replay rate after an
/// outage; latency from commit to broker acknowledgement.
/// </summary>
internal static class BenchMqttCommand
{
    public const string Usage = """
        usage: edge bench mqtt [--events N] [--size BYTES] [--outage N]

        Starts mosquitto on 127.0.0.1 and a free port (the mosquitto package must be installed), then:
          1. publishes N QoS 1 events directly with the MQTT client (the peer figure: no outbox);
          2. sends N events through the SQLite outbox (commit, publish, delete on PUBACK) as fast as it goes,
             then at a steady --rate for p50/p99 latency from commit to broker ack;
          3. stops the broker, commits --outage events, starts the broker and times the replay.
          --events N    events per phase (default 20000)
          --size BYTES  payload size (default 1024)
          --outage N    events committed during the outage (default 10000)
          --rate R      steady rate for the latency measurement (default 5000 events/s)
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cl = new CommandLine(args, "events", "size", "outage", "rate");
        int events = cl.Int("events", 20000, 100, 10_000_000);
        int size = cl.Int("size", 1024, 1, 1 << 20);
        int outage = cl.Int("outage", 10000, 0, 10_000_000);
        int rate = cl.Int("rate", 5000, 1, 1_000_000);
        cl.RejectUnknown();
        return RunAsync(events, size, outage, rate, stdout, stderr).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int events, int size, int outage, int rate, TextWriter stdout, TextWriter stderr)
    {
        using var broker = new LocalBroker();
        var dir = Directory.CreateTempSubdirectory("edge-bench-mqtt-").FullName;
        try
        {
            var payload = new byte[size];
            new Random(1).NextBytes(payload);
            var options = new MqttOptions
            {
                Host = "127.0.0.1", Port = broker.Port, ClientId = "edge-bench", CleanStart = true,
                ReconnectMinDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromSeconds(1),
            };
            stdout.WriteLine($"edge bench mqtt: {events} events of {size} bytes, QoS 1, mosquitto on 127.0.0.1:{broker.Port}, {Environment.ProcessorCount} cores");

            // 1. The same client, no outbox: what the broker and the client can do.
            await using (var direct = new MqttClient(options with { ClientId = "edge-bench-direct" }))
            {
                await direct.ConnectAsync(CancellationToken.None);
                var sw = Stopwatch.StartNew();
                var window = new List<Task>(1024);
                for (int i = 0; i < events; i++)
                {
                    window.Add(direct.PublishAsync("bench/direct", payload, 1));
                    if (window.Count == 1024) { await Task.WhenAll(window); window.Clear(); }
                }
                await Task.WhenAll(window);
                stdout.WriteLine($"  direct QoS 1 publish (no outbox)      {events / sw.Elapsed.TotalSeconds,10:0} events/s");
            }

            // 2. Through the durable outbox.
            await using var outbox = Outbox.Outbox.Open(new OutboxOptions { Path = Path.Combine(dir, "outbox.db") }, NullLogger.Instance);
            await using var client = new MqttClient(options);
            var publisher = new OutboxPublisher(outbox, client, new MetricsRegistry(), NullLogger.Instance);
            var latencies = new double[events + outage];
            int acked = 0;
            var allAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int target = events;
            publisher.Acknowledged = l =>
            {
                int n = Interlocked.Increment(ref acked);
                if (n <= latencies.Length) latencies[n - 1] = l.TotalMilliseconds;
                if (n >= Volatile.Read(ref target)) allAcked.TrySetResult();
            };
            using var stop = new CancellationTokenSource();
            await client.ConnectAsync(CancellationToken.None);
            var run = publisher.RunAsync(stop.Token);

            var total = Stopwatch.StartNew();
            var commits = new List<Task>(1024);
            for (int i = 0; i < events; i++)
            {
                commits.Add(outbox.EnqueueAsync("bench", "bench/outbox", payload).AsTask());
                if (commits.Count == 1024) { await Task.WhenAll(commits); commits.Clear(); }
            }
            await Task.WhenAll(commits);
            double commitSeconds = total.Elapsed.TotalSeconds;
            await allAcked.Task.WaitAsync(TimeSpan.FromMinutes(5));
            double sustained = events / total.Elapsed.TotalSeconds;
            stdout.WriteLine($"  through the outbox, as fast as it goes  {sustained,8:0} events/s  (commits alone {events / commitSeconds:0}/s)");

            // 2b. Latency at a steady rate (a burst only measures its own backlog).
            int paced = Math.Min(events, rate * 4);
            Interlocked.Exchange(ref acked, 0);
            allAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref target, paced);
            commits.Clear();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < paced; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / rate);
                if (clock.Elapsed < due) await Task.Delay(due - clock.Elapsed);
                commits.Add(outbox.EnqueueAsync("bench", "bench/outbox", payload).AsTask());
            }
            await Task.WhenAll(commits);
            await allAcked.Task.WaitAsync(TimeSpan.FromMinutes(5));
            var sorted = latencies.Take(paced).Order().ToArray();
            stdout.WriteLine($"  latency commit → broker ack at {rate}/s   p50 {Percentile(sorted, 0.5),6:0.0} ms   p99 {Percentile(sorted, 0.99),6:0.0} ms  ({paced} events)");

            // 3. Outage and replay.
            if (outage > 0)
            {
                broker.Stop();
                var down = Stopwatch.StartNew();
                while (client.State == MqttConnectionState.Connected && down.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
                Interlocked.Exchange(ref acked, 0);
                allAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref target, outage);
                commits.Clear();
                for (int i = 0; i < outage; i++) commits.Add(outbox.EnqueueAsync("bench", "bench/outbox", payload).AsTask());
                await Task.WhenAll(commits);
                var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                client.StateChanged += s => { if (s == MqttConnectionState.Connected) reconnected.TrySetResult(); };
                var restart = Stopwatch.StartNew();
                broker.Start();
                await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(30));
                double reconnectMs = restart.Elapsed.TotalMilliseconds;
                var replay = Stopwatch.StartNew();
                await allAcked.Task.WaitAsync(TimeSpan.FromMinutes(5));
                stdout.WriteLine($"  replay after an outage ({outage} waiting)  {outage / replay.Elapsed.TotalSeconds,8:0} events/s  (reconnected {reconnectMs:0} ms after the broker came back)");
            }
            stop.Cancel();
            try { await run; } catch (OperationCanceledException) { }
            stdout.WriteLine($"  outbox depth at the end: {outbox.Stats.Depth}; dropped {outbox.Stats.DroppedForSize + outbox.Stats.DroppedForAge + outbox.Stats.Rejected}");
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
