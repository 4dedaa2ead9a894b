namespace Edge.Models.Tests.Support;

/// <summary>
/// Measures what a hot-path call allocates on this thread once it is warm.
/// <para>
/// The call runs <c>warmUp</c> times, then in <c>windows</c> windows of <c>callsPerWindow</c> calls; the
/// result is the smallest window. A per-call allocation shows in every window, so a test asserting the
/// smallest window is 0 still fails on it. One-off runtime work does not: a method's tier-up, a type
/// loaded on first use, a pool refilling after a gen-2 GC trimmed it all land in one window at most, and
/// they made single-window tests fail on machines where they happened to fall inside it.
/// </para>
/// </summary>
internal static class Allocations
{
    public static AllocationSample SteadyState(Action call, int warmUp = 5, int windows = 5, int callsPerWindow = 10)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentOutOfRangeException.ThrowIfLessThan(windows, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(callsPerWindow, 1);
        for (int i = 0; i < warmUp; i++) call();
        var bytes = new long[windows];
        for (int w = 0; w < windows; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < callsPerWindow; i++) call();
            bytes[w] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        return new AllocationSample(bytes, callsPerWindow);
    }
}

/// <summary>Bytes allocated in each measuring window.</summary>
internal sealed record AllocationSample(long[] WindowBytes, int CallsPerWindow)
{
    /// <summary>The steady-state figure: the smallest window.</summary>
    public long Bytes => WindowBytes.Min();

    public long BytesPerCall => Bytes / CallsPerWindow;

    public override string ToString() =>
        $"{Bytes} bytes in the quietest window of {CallsPerWindow} calls (windows: {string.Join(", ", WindowBytes)})";
}
