namespace Edge.Agent.Devices;

// The buses every device driver talks to. Real implementations bind the Linux uAPIs
// (Interop/Linux: GPIO character device v2, spidev, i2c-dev); simulators in Devices/Simulation
// interpret the same bytes and lines so drivers are tested without hardware.

/// <summary>Pull resistor setting of an input line (GPIO_V2_LINE_FLAG_BIAS_*).</summary>
public enum GpioBias { AsIs, Disabled, PullUp, PullDown }

/// <summary>Which edges of an input line produce events.</summary>
[Flags]
public enum GpioEdges { None = 0, Rising = 1, Falling = 2, Both = Rising | Falling }

/// <summary>How an input line is requested.</summary>
public sealed record GpioInputOptions
{
    public GpioBias Bias { get; init; } = GpioBias.AsIs;
    public GpioEdges Edges { get; init; } = GpioEdges.None;
    /// <summary>Kernel debounce period (zero = none).</summary>
    public TimeSpan Debounce { get; init; }
    public bool ActiveLow { get; init; }
}

/// <summary>One edge seen by the kernel, stamped with CLOCK_MONOTONIC nanoseconds.</summary>
public readonly record struct GpioEdgeEvent(int Offset, GpioEdges Edge, long TimestampNs, ulong Sequence);

/// <summary>A GPIO chip (/dev/gpiochipN) from which lines are requested.</summary>
public interface IGpioChip : IDisposable
{
    string Name { get; }
    int LineCount { get; }
    IGpioOutput RequestOutput(int offset, bool initialValue, string consumer);
    IGpioInput RequestInput(int offset, GpioInputOptions options, string consumer);
    /// <summary>Now on the clock the chip stamps edge events with (CLOCK_MONOTONIC, or the simulator's clock).</summary>
    long NowNs { get; }
}

/// <summary>
/// A chip that hands each edge of an input to callbacks as it happens, on the thread that makes it happen (the
/// simulator: a reading thread of its own would run its virtual clock ahead of the line). Kernel chips are read instead.
/// </summary>
public interface IGpioEdgeNotifier
{
    /// <summary>Calls <paramref name="callback"/> for every edge event of input <paramref name="offset"/>; dispose to detach.</summary>
    IDisposable OnInputEdge(int offset, Action<GpioEdgeEvent> callback);
}

public interface IGpioOutput : IDisposable
{
    int Offset { get; }
    bool Value { get; }
    void Write(bool value);
}

public interface IGpioInput : IDisposable
{
    int Offset { get; }
    bool Read();
    /// <summary>Waits up to <paramref name="timeout"/> for the next edge event; false on timeout.</summary>
    bool TryReadEdge(TimeSpan timeout, out GpioEdgeEvent edge);
}

/// <summary>An SPI device (/dev/spidevB.C).</summary>
public interface ISpiDevice : IDisposable
{
    int SpeedHz { get; }
    void Write(ReadOnlySpan<byte> data);
    void Transfer(ReadOnlySpan<byte> tx, Span<byte> rx);
}

/// <summary>A device at one address on an I2C bus (/dev/i2c-N).</summary>
public interface II2cDevice : IDisposable
{
    int Address { get; }
    void Write(ReadOnlySpan<byte> data);
    void Read(Span<byte> data);
    void WriteRead(ReadOnlySpan<byte> write, Span<byte> read);
}

/// <summary>A byte stream to a device such as a printer (device file, serial port or TCP 9100).</summary>
public interface IByteChannel : IDisposable
{
    string Description { get; }
    void Write(ReadOnlySpan<byte> data);
    void Flush();
    /// <summary>Reads what arrives within <paramref name="timeout"/>; 0 when nothing came.</summary>
    int Read(Span<byte> buffer, TimeSpan timeout);
}

/// <summary>A device is absent, unplugged or refused a request; the message names the device and the fix.</summary>
public class DeviceException : Exception
{
    public DeviceException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// Optional on an <see cref="IGpioChip"/>: waiting and timers on the clock that stamps its edge events, so drivers
/// that time pulses work the same against CLOCK_MONOTONIC and against the simulator's virtual clock (which advances
/// instead of sleeping).
/// </summary>
public interface IGpioClock
{
    /// <summary>Returns once the chip's clock has reached <paramref name="ns"/>.</summary>
    void WaitUntil(long ns);
    /// <summary>Runs <paramref name="action"/> once, when the chip's clock reaches <paramref name="atNs"/>; dispose the result to cancel.</summary>
    IDisposable Schedule(long atNs, Action action);

    /// <summary>
    /// A timer bound once to <paramref name="action"/> that can be armed again and again: for work that recurs per
    /// part or per frame, where <see cref="Schedule"/> allocates a handle each time. The clocks in Edge arm it without
    /// allocating (<see cref="Linux.MonotonicGpioClock"/>, <see cref="Linux.LinuxGpioChip"/>, the simulator); this
    /// default, for other clocks, schedules anew on each arming.
    /// </summary>
    GpioTimer CreateTimer(Action action) => new ScheduledGpioTimer(this, action);
}

/// <summary>
/// A timer on an <see cref="IGpioClock"/> (<see cref="IGpioClock.CreateTimer"/>). <see cref="Arm"/> sets the time
/// its action runs at (at once when that time has passed); arming it again moves it, so the action runs once per
/// arming at most. <see cref="Cancel"/> (or Dispose) disarms it. An action the clock had already taken up when the
/// timer was re-armed or cancelled can still run, so the action checks its own state, as with
/// <see cref="IGpioClock.Schedule"/>.
/// </summary>
public abstract class GpioTimer : IDisposable
{
    /// <summary>Runs the action when the clock reaches <paramref name="atNs"/>, replacing any earlier arming.</summary>
    public abstract void Arm(long atNs);

    /// <summary>Disarms the timer; arming it again later is allowed.</summary>
    public abstract void Cancel();

    public void Dispose() => Cancel();
}

/// <summary><see cref="IGpioClock.CreateTimer"/> for clocks that only have <see cref="IGpioClock.Schedule"/>: one schedule per arming.</summary>
internal sealed class ScheduledGpioTimer(IGpioClock clock, Action action) : GpioTimer
{
    private readonly Lock _lock = new();
    private IDisposable? _pending;

    public override void Arm(long atNs)
    {
        lock (_lock)
        {
            _pending?.Dispose();
            _pending = clock.Schedule(atNs, action);
        }
    }

    public override void Cancel()
    {
        lock (_lock)
        {
            _pending?.Dispose();
            _pending = null;
        }
    }
}
