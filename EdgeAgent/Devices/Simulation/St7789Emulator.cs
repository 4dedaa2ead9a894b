using Edge.Agent.Devices.St7789;
using Edge.Models.Imaging;

namespace Edge.Agent.Devices.Simulation;

/// <summary>One command the emulated controller received, with its parameter bytes (pixel data is not kept).</summary>
public readonly record struct St7789ReceivedCommand(byte Opcode, byte[] Parameters)
{
    public override string ToString() => Parameters.Length == 0 ? $"0x{Opcode:X2}" : $"0x{Opcode:X2} [{Convert.ToHexString(Parameters)}]";
}

/// <summary>
/// An ST7789 panel that executes the bytes a driver sends: DC low = command, DC high = parameters or pixels. It keeps the
/// controller's 240×320 frame memory, the address window and counter (with wrap), MADCTL's mapping, sleep/display/
/// inversion state and COLMOD, and a virtual clock the driver's delays advance so datasheet waits can be checked.
/// A glass of <c>width</c>×<c>height</c> is wired to the memory at (<c>columnOffset</c>, <c>rowOffset</c>).
/// What a real panel would silently mis-handle is recorded in <see cref="Violations"/>.
/// </summary>
public sealed class St7789Emulator
{
    public const int MemoryColumns = 240;
    public const int MemoryRows = 320;
    /// <summary>spidev's default bufsiz; a longer transfer fails on a real Pi.</summary>
    public const int MaxTransferBytes = 4096;

    private static readonly TimeSpan CommandGuard = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan SleepGuard = TimeSpan.FromMilliseconds(120);
    private static readonly TimeSpan MinResetPulse = TimeSpan.FromTicks(100); // 10 µs

    private readonly ushort[] _memory = new ushort[MemoryColumns * MemoryRows];
    private readonly List<string> _violations = [];
    private readonly List<St7789ReceivedCommand> _commands = [];
    private readonly byte[] _parameters = new byte[64];
    private readonly Pin _dataCommand;
    private readonly Pin _reset;
    private readonly bool _panelNeedsInversion;

    private int _opcode = -1;        // command whose parameters or pixels are arriving; -1 = none
    private int _parameterCount;
    private bool _pixelWarned;
    private int _pendingHighByte = -1;
    private int _xs, _xe, _ys, _ye, _column, _row;
    private TimeSpan _now, _busyUntil, _sleepOutAllowedAt, _sleepInAllowedAt, _resetLowAt;
    private string _busyReason = "";

    public St7789Emulator(int width = 240, int height = 240, int columnOffset = 0, int rowOffset = 0, bool panelNeedsInversion = true, int speedHz = 40_000_000)
    {
        if (width <= 0 || height <= 0 || columnOffset < 0 || rowOffset < 0 || columnOffset + width > MemoryColumns || rowOffset + height > MemoryRows)
            throw new ArgumentException($"a {width}x{height} glass at ({columnOffset},{rowOffset}) does not fit the controller's {MemoryColumns}x{MemoryRows} memory", nameof(width));
        Width = width;
        Height = height;
        ColumnOffset = columnOffset;
        RowOffset = rowOffset;
        _panelNeedsInversion = panelNeedsInversion;
        _dataCommand = new Pin(25, false, _ => { });
        _reset = new Pin(27, true, OnReset);
        Spi = new Bus(this, speedHz);
        PowerOnDefaults();
    }

    public int Width { get; }
    public int Height { get; }
    public int ColumnOffset { get; }
    public int RowOffset { get; }

    /// <summary>The SPI bus the panel listens on; give it to the driver.</summary>
    public ISpiDevice Spi { get; }

    /// <summary>The D/CX line: low = command, high = data.</summary>
    public IGpioOutput DataCommand => _dataCommand;

    /// <summary>The RESX line (active low).</summary>
    public IGpioOutput Reset => _reset;

    public IReadOnlyList<string> Violations => _violations;

    /// <summary>Commands in order of arrival; turn off with <see cref="RecordCommands"/> for allocation measurements.</summary>
    public IReadOnlyList<St7789ReceivedCommand> Commands
    {
        get
        {
            UpdateLastCommandParameters();
            return _commands;
        }
    }

    public bool RecordCommands { get; set; } = true;

    public bool IsSleeping { get; private set; }
    public bool IsDisplayOn { get; private set; }
    public bool IsInverted { get; private set; }
    public bool IsNormalMode { get; private set; }
    /// <summary>COLMOD as last set (0x66 after reset, 0x55 for RGB565).</summary>
    public byte InterfacePixelFormat { get; private set; }
    public St7789Madctl Madctl { get; private set; }

    /// <summary>Every byte received on SPI, commands included.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Bytes received after RAMWR/RAMWRC.</summary>
    public long PixelBytesReceived { get; private set; }

    public int TransferCount { get; private set; }
    public int LargestTransfer { get; private set; }

    /// <summary>The virtual clock; the driver's delay option should call <see cref="Advance"/>.</summary>
    public TimeSpan Now => _now;

    public void Advance(TimeSpan elapsed)
    {
        if (elapsed < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(elapsed), elapsed, "time does not run backwards");
        _now += elapsed;
    }

    /// <summary>Forgets logged commands and byte counters (state and memory are kept).</summary>
    public void ClearLog()
    {
        _commands.Clear();
        BytesReceived = PixelBytesReceived = 0;
        TransferCount = LargestTransfer = 0;
    }

    /// <summary>The RGB565 value in frame memory at a controller column (0..239) and row (0..319).</summary>
    public ushort ReadMemory(int column, int row) => _memory[row * MemoryColumns + column];

    /// <summary>
    /// What a person sees: the glass as RGB24 (565 expanded by bit replication, MADCTL's RGB bit and inversion
    /// applied, black while the display is off or asleep), turned by <paramref name="rotation"/> degrees the way a
    /// panel mounted for that driver rotation is read.
    /// </summary>
    public ImageBuffer Snapshot(int rotation = 0)
    {
        if (rotation is not (0 or 90 or 180 or 270))
            throw new ArgumentException($"rotation {rotation} is not 0, 90, 180 or 270", nameof(rotation));
        bool landscape = rotation is 90 or 270;
        int outW = landscape ? Height : Width, outH = landscape ? Width : Height;
        var image = new ImageBuffer(outW, outH, PixelFormat.Rgb24);
        bool visible = IsDisplayOn && !IsSleeping;
        bool invert = IsInverted != _panelNeedsInversion;
        bool bgr = (Madctl & St7789Madctl.Bgr) != 0;
        for (int y = 0; y < outH; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < outW; x++)
            {
                var (gx, gy) = rotation switch
                {
                    0 => (x, y),
                    90 => (Width - 1 - y, x),
                    180 => (Width - 1 - x, Height - 1 - y),
                    _ => (y, Height - 1 - x),
                };
                byte r = 0, g = 0, b = 0;
                if (visible)
                {
                    ushort v = _memory[(gy + RowOffset) * MemoryColumns + gx + ColumnOffset];
                    (r, g, b) = Expand565(v);
                    if (bgr) (r, b) = (b, r);
                    if (invert) (r, g, b) = ((byte)~r, (byte)~g, (byte)~b);
                }
                row[3 * x] = r;
                row[3 * x + 1] = g;
                row[3 * x + 2] = b;
            }
        }
        return image;
    }

    public void SavePng(string path, int rotation = 0)
    {
        using var image = Snapshot(rotation);
        File.WriteAllBytes(path, PngCodec.Encode(image));
    }

    /// <summary>RGB565 to RGB888 by bit replication (0x1F → 0xFF).</summary>
    public static (byte R, byte G, byte B) Expand565(ushort v)
    {
        int r5 = v >> 11, g6 = (v >> 5) & 0x3F, b5 = v & 0x1F;
        return ((byte)((r5 << 3) | (r5 >> 2)), (byte)((g6 << 2) | (g6 >> 4)), (byte)((b5 << 3) | (b5 >> 2)));
    }

    private void PowerOnDefaults()
    {
        // Register defaults after power on / reset (datasheet 9.1: reset table).
        IsSleeping = true;
        IsDisplayOn = false;
        IsInverted = false;
        IsNormalMode = true;
        InterfacePixelFormat = 0x66;
        Madctl = St7789Madctl.None;
        _xs = 0; _xe = MemoryColumns - 1;
        _ys = 0; _ye = MemoryRows - 1;
        _opcode = -1;
        _parameterCount = 0;
        _pendingHighByte = -1;
    }

    private void OnReset(bool level)
    {
        if (!level)
        {
            _resetLowAt = _now;
            return;
        }
        if (_now - _resetLowAt < MinResetPulse)
            Violation($"RESX pulse of {(_now - _resetLowAt).TotalMicroseconds:0} µs is shorter than the 10 µs a reset needs");
        PowerOnDefaults();
        _busyUntil = _now + CommandGuard;
        _busyReason = "hardware reset";
        _sleepOutAllowedAt = _now + SleepGuard;
    }

    private void Receive(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxTransferBytes)
            throw new DeviceException($"SPI transfer of {data.Length} bytes exceeds spidev's bufsiz ({MaxTransferBytes}); split it");
        TransferCount++;
        BytesReceived += data.Length;
        if (data.Length > LargestTransfer) LargestTransfer = data.Length;
        if (!_reset.Value)
        {
            Violation($"{data.Length} bytes sent while RESX is held low");
            return;
        }
        if (!_dataCommand.Value)
        {
            foreach (byte b in data) Execute(b);
            return;
        }
        if (_opcode is (byte)St7789Command.MemoryWrite or (byte)St7789Command.MemoryWriteContinue)
        {
            WritePixels(data);
            return;
        }
        foreach (byte b in data) Parameter(b);
    }

    private void Execute(byte opcode)
    {
        UpdateLastCommandParameters();
        if (_now < _busyUntil)
            Violation($"command 0x{opcode:X2} {(_now - (_busyUntil - CommandGuard)).TotalMilliseconds:0.###} ms after {_busyReason}; the datasheet asks for 5 ms");
        _opcode = opcode;
        _parameterCount = 0;
        _pixelWarned = false;
        _pendingHighByte = -1;
        if (RecordCommands) _commands.Add(new St7789ReceivedCommand(opcode, []));
        switch ((St7789Command)opcode)
        {
            case St7789Command.SoftwareReset:
                PowerOnDefaults();
                _opcode = opcode;
                _busyUntil = _now + CommandGuard;
                _busyReason = "SWRESET";
                _sleepOutAllowedAt = _now + SleepGuard;
                break;
            case St7789Command.SleepIn:
                if (_now < _sleepInAllowedAt)
                    Violation($"SLPIN {(_now - (_sleepInAllowedAt - SleepGuard)).TotalMilliseconds:0.###} ms after SLPOUT; the datasheet asks for 120 ms");
                IsSleeping = true;
                _busyUntil = _now + CommandGuard;
                _busyReason = "SLPIN";
                _sleepOutAllowedAt = _now + SleepGuard;
                break;
            case St7789Command.SleepOut:
                if (_now < _sleepOutAllowedAt)
                    Violation($"SLPOUT sent {(_sleepOutAllowedAt - _now).TotalMilliseconds:0.###} ms too early after reset or SLPIN; the datasheet asks for 120 ms");
                IsSleeping = false;
                _busyUntil = _now + CommandGuard;
                _busyReason = "SLPOUT";
                _sleepInAllowedAt = _now + SleepGuard;
                break;
            case St7789Command.PartialModeOn: IsNormalMode = false; break;
            case St7789Command.NormalModeOn: IsNormalMode = true; break;
            case St7789Command.InversionOff: IsInverted = false; break;
            case St7789Command.InversionOn: IsInverted = true; break;
            case St7789Command.DisplayOff: IsDisplayOn = false; break;
            case St7789Command.DisplayOn: IsDisplayOn = true; break;
            case St7789Command.MemoryWrite:
                _column = _xs;
                _row = _ys;
                break;
        }
    }

    private static int ExpectedParameters(int opcode) => opcode switch
    {
        (byte)St7789Command.ColumnAddressSet or (byte)St7789Command.RowAddressSet => 4,
        (byte)St7789Command.MemoryDataAccessControl or (byte)St7789Command.InterfacePixelFormat => 1,
        (byte)St7789Command.Nop or (byte)St7789Command.SoftwareReset or (byte)St7789Command.SleepIn or (byte)St7789Command.SleepOut
            or (byte)St7789Command.PartialModeOn or (byte)St7789Command.NormalModeOn or (byte)St7789Command.InversionOff
            or (byte)St7789Command.InversionOn or (byte)St7789Command.DisplayOff or (byte)St7789Command.DisplayOn => 0,
        _ => -1, // a command this model does not execute (gamma, power control...): parameters are logged and ignored
    };

    private void Parameter(byte value)
    {
        if (_opcode < 0)
        {
            Violation($"data byte 0x{value:X2} with no command before it");
            return;
        }
        int expected = ExpectedParameters(_opcode);
        if (expected >= 0 && _parameterCount >= expected)
        {
            Violation($"extra data byte 0x{value:X2} after command 0x{_opcode:X2}, which takes {expected} parameter(s); pixel data needs RAMWR first");
            return;
        }
        if (_parameterCount < _parameters.Length) _parameters[_parameterCount] = value;
        _parameterCount++;
        if (_parameterCount != expected) return;
        var p = _parameters;
        switch ((St7789Command)_opcode)
        {
            case St7789Command.ColumnAddressSet:
                (_xs, _xe) = Window("CASET", (p[0] << 8) | p[1], (p[2] << 8) | p[3], AddressColumns);
                break;
            case St7789Command.RowAddressSet:
                (_ys, _ye) = Window("RASET", (p[0] << 8) | p[1], (p[2] << 8) | p[3], AddressRows);
                break;
            case St7789Command.MemoryDataAccessControl:
                Madctl = (St7789Madctl)p[0];
                break;
            case St7789Command.InterfacePixelFormat:
                InterfacePixelFormat = p[0];
                break;
        }
        UpdateLastCommandParameters();
    }

    // With MV set the counter's columns run along the memory's 320 rows.
    private int AddressColumns => (Madctl & St7789Madctl.RowColumnExchange) != 0 ? MemoryRows : MemoryColumns;
    private int AddressRows => (Madctl & St7789Madctl.RowColumnExchange) != 0 ? MemoryColumns : MemoryRows;

    private (int Start, int End) Window(string name, int start, int end, int limit)
    {
        if (start > end || end >= limit)
            Violation($"{name} {start}..{end} is not a window inside 0..{limit - 1} (MADCTL 0x{(byte)Madctl:X2})");
        return (start, end);
    }

    private void WritePixels(ReadOnlySpan<byte> data)
    {
        PixelBytesReceived += data.Length;
        if (!_pixelWarned)
        {
            if (IsSleeping) Violation("pixel data written while the panel sleeps (before SLPOUT)");
            if ((InterfacePixelFormat & 0x07) != 0x05) Violation($"RGB565 pixel data while COLMOD is 0x{InterfacePixelFormat:X2}, not 16 bits per pixel (0x55)");
            _pixelWarned = true;
        }
        if ((InterfacePixelFormat & 0x07) != 0x05) return;
        int i = 0;
        if (_pendingHighByte >= 0 && data.Length > 0)
        {
            StorePixel((ushort)((_pendingHighByte << 8) | data[0]));
            _pendingHighByte = -1;
            i = 1;
        }
        for (; i + 1 < data.Length; i += 2) StorePixel((ushort)((data[i] << 8) | data[i + 1]));
        if (i < data.Length) _pendingHighByte = data[i];
    }

    private void StorePixel(ushort value)
    {
        var m = Madctl;
        int x = _column, y = _row;
        if ((m & St7789Madctl.RowColumnExchange) != 0) (x, y) = (y, x);
        if ((m & St7789Madctl.ColumnMirror) != 0) x = MemoryColumns - 1 - x;
        if ((m & St7789Madctl.RowMirror) != 0) y = MemoryRows - 1 - y;
        if ((uint)x < MemoryColumns && (uint)y < MemoryRows) _memory[y * MemoryColumns + x] = value;
        if (++_column > _xe)
        {
            _column = _xs;
            if (++_row > _ye) _row = _ys;
        }
    }

    private void UpdateLastCommandParameters()
    {
        if (!RecordCommands || _commands.Count == 0 || _opcode < 0 || _parameterCount == 0) return;
        if (_opcode is (byte)St7789Command.MemoryWrite or (byte)St7789Command.MemoryWriteContinue) return;
        int last = _commands.Count - 1;
        int n = Math.Min(_parameterCount, _parameters.Length);
        if (_commands[last].Opcode == _opcode && _commands[last].Parameters.Length != n)
            _commands[last] = new St7789ReceivedCommand((byte)_opcode, _parameters.AsSpan(0, n).ToArray());
    }

    private void Violation(string message) => _violations.Add($"{_now.TotalMilliseconds:0.###} ms: {message}");

    private sealed class Bus(St7789Emulator panel, int speedHz) : ISpiDevice
    {
        public int SpeedHz => speedHz;
        public void Write(ReadOnlySpan<byte> data) => panel.Receive(data);
        public void Transfer(ReadOnlySpan<byte> tx, Span<byte> rx)
        {
            panel.Receive(tx);
            rx.Clear(); // write-only wiring: MISO is not connected on these modules
        }
        public void Dispose() { }
    }

    private sealed class Pin(int offset, bool initial, Action<bool> changed) : IGpioOutput
    {
        public int Offset => offset;
        public bool Value { get; private set; } = initial;
        public void Write(bool value)
        {
            bool old = Value;
            Value = value;
            if (old != value) changed(value);
        }
        public void Dispose() { }
    }
}
