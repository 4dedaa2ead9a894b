using Edge.Agent.Devices.Linux;

namespace Edge.Agent.Devices.DigitalIo;

/// <summary>
/// An LED, buzzer, relay or reject actuator on one GPIO output. <see cref="Pulse"/> switches on now and schedules the
/// switch-off on the chip's clock, so it returns at once and behaves the same on hardware (a timer) and on the
/// simulator (the virtual clock). Relay boards that switch on a low level take <c>activeLow: true</c>.
/// </summary>
public sealed class DigitalOutput : IDisposable
{
    private readonly object _gate = new();
    private readonly IGpioChip _chip;
    private readonly IGpioClock _clock;
    private readonly IGpioOutput _line;
    private readonly bool _activeLow;
    private readonly bool _shouldDispose;
    private IDisposable? _pendingOff;
    private bool _disposed;

    public DigitalOutput(IGpioChip chip, int line, bool activeLow = false, bool initiallyOn = false,
        string consumer = "edge-output", bool shouldDispose = false)
    {
        ArgumentNullException.ThrowIfNull(chip);
        _chip = chip;
        _clock = MonotonicGpioClock.For(chip);
        _activeLow = activeLow;
        _shouldDispose = shouldDispose;
        _line = chip.RequestOutput(line, initiallyOn ^ activeLow, consumer);
    }

    public int Line => _line.Offset;

    public bool IsOn
    {
        get { lock (_gate) return _line.Value ^ _activeLow; }
    }

    /// <summary>When the running pulse ends, on the chip's clock; null when no pulse is running.</summary>
    public long? PulseEndsAtNs { get; private set; }

    public void On() => Set(true);
    public void Off() => Set(false);

    /// <summary>Switches on or off now, cancelling a running pulse.</summary>
    public void Set(bool on)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CancelPulse();
            _line.Write(on ^ _activeLow);
        }
    }

    public void Toggle()
    {
        lock (_gate) Set(!IsOn);
    }

    /// <summary>Switches on now and off after <paramref name="duration"/>; returns at once. A new pulse restarts the period.</summary>
    public void Pulse(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), duration, "a pulse must last longer than zero");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CancelPulse();
            _line.Write(!_activeLow);
            long end = _chip.NowNs + duration.Ticks * 100;
            PulseEndsAtNs = end;
            IDisposable? self = null;
            self = _pendingOff = _clock.Schedule(end, () =>
            {
                lock (_gate)
                {
                    // A later Set/Pulse replaced this one, or the output was released.
                    if (_disposed || (self is not null && !ReferenceEquals(_pendingOff, self))) return;
                    _pendingOff = null;
                    PulseEndsAtNs = null;
                    _line.Write(_activeLow);
                }
            });
        }
    }

    /// <summary>Switches off and releases the line (and the chip if <c>shouldDispose</c>).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            CancelPulse();
            try { _line.Write(_activeLow); }
            finally
            {
                _disposed = true;
                _line.Dispose();
                if (_shouldDispose) _chip.Dispose();
            }
        }
    }

    private void CancelPulse()
    {
        _pendingOff?.Dispose();
        _pendingOff = null;
        PulseEndsAtNs = null;
    }
}
