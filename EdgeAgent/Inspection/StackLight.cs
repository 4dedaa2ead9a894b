using Edge.Agent.Devices.DigitalIo;

namespace Edge.Agent.Inspection;

/// <summary>The colour a line's stack light shows.</summary>
public enum StackLightColor
{
    Off,
    /// <summary>Running, decisions in time, yield above the threshold.</summary>
    Green,
    /// <summary>Warning: a recent late decision, or the rolling yield is below the threshold.</summary>
    Amber,
    /// <summary>Fault: capture or detection failed; stays until acknowledged.</summary>
    Red,
}

/// <summary>
/// A three-lamp tower (green, amber, red) on GPIO outputs; exactly one lamp is lit. Any lamp may be absent (null).
/// Lines are written only when the colour changes.
/// </summary>
public sealed class StackLight : IDisposable
{
    private readonly DigitalOutput? _green, _amber, _red;

    public StackLight(DigitalOutput? green, DigitalOutput? amber, DigitalOutput? red)
    {
        _green = green;
        _amber = amber;
        _red = red;
    }

    public StackLightColor Color { get; private set; } = StackLightColor.Off;

    /// <summary>Times the colour changed.</summary>
    public int Changes { get; private set; }

    public void Show(StackLightColor color)
    {
        if (color == Color) return;
        Color = color;
        Changes++;
        _green?.Set(color == StackLightColor.Green);
        _amber?.Set(color == StackLightColor.Amber);
        _red?.Set(color == StackLightColor.Red);
    }

    public void Dispose()
    {
        _green?.Dispose();
        _amber?.Dispose();
        _red?.Dispose();
    }
}

/// <summary>
/// Works out the stack light's colour from the parts seen: red after a fault until acknowledged, amber when a late
/// decision happened within the last <see cref="InspectionOptions.AmberAfterLateFor"/> parts or the yield over the
/// last <see cref="InspectionOptions.YieldWindow"/> parts is below <see cref="InspectionOptions.AmberYieldBelow"/>,
/// green otherwise.
/// </summary>
public sealed class LineHealth
{
    private readonly bool[] _goodRing;
    private readonly double _amberYield;
    private readonly int _lateWindow;
    private int _ringCount, _ringNext, _goodInRing;
    private long _partsSinceLate = long.MaxValue;

    public LineHealth(InspectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _goodRing = new bool[options.YieldWindow];
        _amberYield = options.AmberYieldBelow;
        _lateWindow = options.AmberAfterLateFor;
    }

    public string? Fault { get; private set; }

    /// <summary>Yield over the rolling window (1 when no part yet).</summary>
    public double RollingYield => _ringCount == 0 ? 1 : (double)_goodInRing / _ringCount;

    public void RecordPart(bool good, bool late)
    {
        if (_ringCount == _goodRing.Length) { if (_goodRing[_ringNext]) _goodInRing--; }
        else _ringCount++;
        _goodRing[_ringNext] = good;
        if (good) _goodInRing++;
        _ringNext = (_ringNext + 1) % _goodRing.Length;
        _partsSinceLate = late ? 0 : _partsSinceLate == long.MaxValue ? long.MaxValue : _partsSinceLate + 1;
    }

    public void RecordFault(string reason) => Fault = reason;

    public void AcknowledgeFault() => Fault = null;

    public StackLightColor Color
    {
        get
        {
            if (Fault is not null) return StackLightColor.Red;
            if (_partsSinceLate < _lateWindow) return StackLightColor.Amber;
            // The yield needs a few parts behind it before it may turn the light amber.
            if (_ringCount >= Math.Min(_goodRing.Length, 20) && RollingYield < _amberYield) return StackLightColor.Amber;
            return StackLightColor.Green;
        }
    }
}
