using Edge.Agent.Devices.Linux;

namespace Edge.Agent.Devices.Hcsr04;

/// <summary>
/// HC-SR04 ultrasonic distance sensor on two GPIO lines. A measurement raises the trigger for 10 µs, then reads the
/// echo line's rising and falling edge events: the pulse width comes from the kernel's edge timestamps (or the
/// simulator's), never from a busy-wait. Distance = width × speed of sound / 2.
/// </summary>
public sealed class Hcsr04 : IDisposable
{
    /// <summary>The sensor's range as sold: closer or farther readings are rejected.</summary>
    public const double MinimumCentimetres = 2, MaximumCentimetres = 400;

    // Accepts the range ends despite nanosecond rounding of the timestamps (±0.01 mm).
    private const double RangeSlackCentimetres = 0.001;
    private const long TriggerPulseNs = 10_000;
    // The datasheet asks for 60 ms between measurements so a late echo is not taken for the next one.
    private const long MeasurementCycleNs = 60_000_000;

    private readonly IGpioChip _chip;
    private readonly IGpioClock _clock;
    private readonly IGpioOutput _trigger;
    private readonly IGpioInput _echo;
    private readonly bool _shouldDispose;
    private long _lastTriggerNs = long.MinValue;
    private double _temperatureCelsius = 20;

    /// <param name="chip">The chip both lines live on.</param>
    /// <param name="triggerLine">Output line wired to TRIG.</param>
    /// <param name="echoLine">Input line wired to ECHO through a 1 kΩ / 2 kΩ divider (ECHO is 5 V).</param>
    /// <param name="shouldDispose">Whether disposing the sensor disposes <paramref name="chip"/>.</param>
    public Hcsr04(IGpioChip chip, int triggerLine, int echoLine, bool shouldDispose = false)
    {
        ArgumentNullException.ThrowIfNull(chip);
        if (triggerLine == echoLine) throw new ArgumentException($"trigger and echo must be different lines (both are {echoLine})", nameof(echoLine));
        _chip = chip;
        _clock = MonotonicGpioClock.For(chip);
        _shouldDispose = shouldDispose;
        _trigger = chip.RequestOutput(triggerLine, false, "hcsr04-trigger");
        try
        {
            _echo = chip.RequestInput(echoLine, new GpioInputOptions { Edges = GpioEdges.Both }, "hcsr04-echo");
        }
        catch
        {
            _trigger.Dispose();
            throw;
        }
    }

    /// <summary>Air temperature used for the speed of sound (20 °C by default); −40…+85 °C.</summary>
    public double TemperatureCelsius
    {
        get => _temperatureCelsius;
        set
        {
            if (!(value is >= -40 and <= 85))
                throw new ArgumentOutOfRangeException(nameof(TemperatureCelsius), value, "TemperatureCelsius must be within -40..85 °C");
            _temperatureCelsius = value;
        }
    }

    /// <summary>How long to wait for the echo to end after the trigger (60 ms by default: a "nothing there" pulse lasts about 38 ms).</summary>
    public TimeSpan EchoTimeout { get; init; } = TimeSpan.FromMilliseconds(60);

    /// <summary>The width of the last echo pulse, in nanoseconds (null when none arrived).</summary>
    public long? LastEchoWidthNs { get; private set; }

    /// <summary>Speed of sound in dry air, m/s: 331.3 × √(1 + T/273.15), 343.2 m/s at 20 °C.</summary>
    public static double SpeedOfSound(double temperatureCelsius) => 331.3 * Math.Sqrt(1 + temperatureCelsius / 273.15);

    /// <summary>Measures once. False when no echo arrived in time or the distance lies outside 2 cm – 4 m.</summary>
    public bool TryGetDistance(out double centimetres)
    {
        centimetres = double.NaN;
        LastEchoWidthNs = null;
        // Let the previous ping die out, then drop edges left over from it.
        if (_lastTriggerNs != long.MinValue) _clock.WaitUntil(_lastTriggerNs + MeasurementCycleNs);
        while (_echo.TryReadEdge(TimeSpan.Zero, out _)) { }

        long start = _chip.NowNs;
        _trigger.Write(true);
        _clock.WaitUntil(start + TriggerPulseNs);
        _trigger.Write(false);
        _lastTriggerNs = start;
        long deadline = _chip.NowNs + EchoTimeout.Ticks * 100;

        if (!TryReadEdgeBefore(GpioEdges.Rising, deadline, out long riseNs)) return false;
        if (!TryReadEdgeBefore(GpioEdges.Falling, deadline, out long fallNs)) return false;

        long width = fallNs - riseNs;
        LastEchoWidthNs = width;
        double cm = width * 1e-9 * SpeedOfSound(_temperatureCelsius) / 2 * 100;
        if (cm < MinimumCentimetres - RangeSlackCentimetres || cm > MaximumCentimetres + RangeSlackCentimetres) return false;
        centimetres = cm;
        return true;
    }

    /// <summary>
    /// Median of <paramref name="samples"/> measurements (failed ones are left out), which rejects single outliers
    /// such as a stray reflection. False when more than half of the measurements failed.
    /// </summary>
    public bool MedianDistance(int samples, out double centimetres)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        Span<double> readings = samples <= 64 ? stackalloc double[samples] : new double[samples];
        int n = 0;
        for (int i = 0; i < samples; i++)
            if (TryGetDistance(out double cm)) readings[n++] = cm;
        centimetres = double.NaN;
        if (n == 0 || n * 2 < samples) return false;
        var valid = readings[..n];
        valid.Sort();
        centimetres = n % 2 == 1 ? valid[n / 2] : (valid[n / 2 - 1] + valid[n / 2]) / 2;
        return true;
    }

    public void Dispose()
    {
        _echo.Dispose();
        _trigger.Dispose();
        if (_shouldDispose) _chip.Dispose();
    }

    private bool TryReadEdgeBefore(GpioEdges wanted, long deadlineNs, out long timestampNs)
    {
        while (true)
        {
            long remaining = deadlineNs - _chip.NowNs;
            if (remaining <= 0 || !_echo.TryReadEdge(TimeSpan.FromTicks(remaining / 100), out var edge))
            {
                timestampNs = 0;
                return false;
            }
            if (edge.Edge == wanted)
            {
                timestampNs = edge.TimestampNs;
                return true;
            }
        }
    }
}
