using System.Buffers.Binary;
using Edge.Agent.Outbox;

// Usage: OutboxCrashChild <outbox file> [producers]
// Enqueues 1 KB messages from several producers until killed. A line "<seq> <producer> <count>" is printed only after
// that enqueue's task completed, i.e. after the outbox reported it committed; the parent checks each such line survives.
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: OutboxCrashChild <outbox file> [producers]");
    return 2;
}
int producers = args.Length == 2 ? int.Parse(args[1]) : 8;
var outbox = Outbox.Open(new OutboxOptions { Path = args[0] });
var stdout = Console.Out; // synchronised and flushed per line: what the parent reads was written before the kill

await Task.WhenAll(Enumerable.Range(0, producers).Select(producer => Task.Run(async () =>
{
    var payload = new byte[1024];
    BinaryPrimitives.WriteInt32LittleEndian(payload, producer);
    for (long count = 0; ; count++)
    {
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(4), count);
        long seq = await outbox.EnqueueAsync("crash", $"edge/test/{producer}", payload);
        stdout.WriteLine($"{seq} {producer} {count}");
    }
})));
return 0;
