namespace Edge.Agent.Devices.Simulation;

/// <summary>
/// The far side of an HC-SR04 on a <see cref="SimulatedGpioChip"/>: each trigger pulse held high for at least 10 µs is
/// answered, after <see cref="EchoDelay"/> (the 40 kHz burst), with an echo pulse as wide as the sound's round trip to
/// the next scripted distance. With nothing in range the sensor answers with a ~38 ms pulse, or not at all
/// (<see cref="SilentWhenNothingInRange"/>). Triggers that arrive while an echo is still high are ignored, as on the module.
/// </summary>
public sealed class Hcsr04Echo : IDisposable
{
    /// <summary>The echo width a real module gives when nothing reflects.</summary>
    public static readonly TimeSpan NothingInRangePulse = TimeSpan.FromMilliseconds(38);
    private const long MinimumTriggerNs = 10_000;

    private readonly SimulatedGpioChip _chip;
    private readonly int _echoLine;
    private readonly Queue<double?> _distances = new();
    private readonly IDisposable _subscription;
    private long _busyUntilNs = long.MinValue;

    public Hcsr04Echo(SimulatedGpioChip chip, int triggerLine, int echoLine)
    {
        ArgumentNullException.ThrowIfNull(chip);
        _chip = chip;
        _echoLine = echoLine;
        _subscription = chip.OnPulse(triggerLine, MinimumTriggerNs, (_, endNs) => Answer(endNs));
    }

    /// <summary>From the trigger's falling edge to the echo's rising edge (the 8-cycle burst and the module's latency).</summary>
    public TimeSpan EchoDelay { get; set; } = TimeSpan.FromMicroseconds(450);

    /// <summary>The air's temperature, which sets the speed of sound the echo widths follow.</summary>
    public double TemperatureCelsius { get; set; } = 20;

    /// <summary>Answer "nothing in range" with no echo at all instead of a 38 ms pulse (some clones do this).</summary>
    public bool SilentWhenNothingInRange { get; set; }

    /// <summary>The distance used once the script runs out (null: nothing in range).</summary>
    public double? DistanceAfterScript { get; set; }

    /// <summary>Trigger pulses seen (including ignored ones).</summary>
    public int TriggerCount { get; private set; }

    /// <summary>Width of the last echo pulse produced, in nanoseconds.</summary>
    public long? LastEchoWidthNs { get; private set; }

    /// <summary>Queues the distances (cm) the next triggers will see, in order; null = nothing in range.</summary>
    public void ScriptDistances(params double?[] centimetres)
    {
        ArgumentNullException.ThrowIfNull(centimetres);
        foreach (var d in centimetres)
        {
            if (d is < 0 or double.NaN) throw new ArgumentOutOfRangeException(nameof(centimetres), d, "a distance must be a non-negative number of centimetres");
            _distances.Enqueue(d);
        }
    }

    /// <summary>Echo width of an object <paramref name="centimetres"/> away: the round trip at the speed of sound.</summary>
    public static long EchoWidthNs(double centimetres, double temperatureCelsius) =>
        (long)Math.Round(2 * centimetres / 100 / Hcsr04.Hcsr04.SpeedOfSound(temperatureCelsius) * 1e9);

    public void Dispose() => _subscription.Dispose();

    private void Answer(long triggerFallNs)
    {
        TriggerCount++;
        if (triggerFallNs < _busyUntilNs) return;
        double? distance = _distances.Count > 0 ? _distances.Dequeue() : DistanceAfterScript;
        long rise = triggerFallNs + EchoDelay.Ticks * 100;
        long width;
        if (distance is { } cm) width = EchoWidthNs(cm, TemperatureCelsius);
        else if (SilentWhenNothingInRange) { LastEchoWidthNs = null; return; }
        else width = NothingInRangePulse.Ticks * 100;
        LastEchoWidthNs = width;
        _busyUntilNs = rise + width;
        _chip.ScriptPulse(_echoLine, rise, width);
    }
}
