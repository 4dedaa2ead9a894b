using Edge.Models.Imaging;

namespace Edge.Agent.Devices.Simulation;

/// <summary>One command the emulated SSD1306 received, with its parameter bytes.</summary>
public readonly record struct Ssd1306ReceivedCommand(byte Opcode, byte[] Parameters)
{
    public override string ToString() => Parameters.Length == 0 ? $"0x{Opcode:X2}" : $"0x{Opcode:X2} [{Convert.ToHexString(Parameters)}]";
}

/// <summary>
/// A 128×64 SSD1306 module on I2C that executes what a driver writes: control bytes (Co, D/C#), the fundamental,
/// addressing and hardware-configuration commands, and GDDRAM writes in horizontal, vertical and page addressing
/// modes with their column/page windows. Modelled on the common 0.96" module, whose glass reads upright with
/// segment remap (0xA1) and reversed COM scan (0xC8). Mistakes a real module would silently mis-handle go to
/// <see cref="Violations"/>.
/// </summary>
public sealed class Ssd1306Emulator : II2cDevice
{
    public const int Width = 128;
    public const int Height = 64;
    public const int Pages = 8;

    private readonly byte[] _gddram = new byte[Width * Pages];
    private readonly List<string> _violations = [];
    private readonly List<Ssd1306ReceivedCommand> _commands = [];
    private readonly byte[] _parameters = new byte[8];
    private readonly bool _externalVcc;

    private int _opcode = -1;       // command waiting for parameters; -1 = none
    private int _expected;
    private int _parameterCount;
    private int _column, _page;
    private int _columnStart, _columnEnd, _pageStart, _pageEnd;
    private int _pageModeColumn;
    private bool _warnedUninitialised;

    public Ssd1306Emulator(int address = 0x3C, bool externalVcc = false)
    {
        Address = address;
        _externalVcc = externalVcc;
        PowerOnDefaults();
    }

    public int Address { get; }

    public IReadOnlyList<string> Violations => _violations;

    /// <summary>Commands in order, with their parameters; turn off with <see cref="RecordCommands"/> for allocation measurements.</summary>
    public IReadOnlyList<Ssd1306ReceivedCommand> Commands => _commands;

    public bool RecordCommands { get; set; } = true;

    public bool IsDisplayOn { get; private set; }
    public bool IsChargePumpOn { get; private set; }
    public bool IsInverted { get; private set; }
    public bool IsEntireDisplayOn { get; private set; }
    public byte Contrast { get; private set; }
    /// <summary>0 horizontal, 1 vertical, 2 page (the reset default).</summary>
    public int AddressingMode { get; private set; }
    public bool SegmentRemap { get; private set; }
    public bool ComScanReversed { get; private set; }
    public int MultiplexRatio { get; private set; }
    public int StartLine { get; private set; }
    public int DisplayOffset { get; private set; }
    public byte ComPins { get; private set; }

    /// <summary>Every byte written on the bus, control bytes included.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>GDDRAM bytes written.</summary>
    public long DataBytesReceived { get; private set; }

    public int WriteCount { get; private set; }

    /// <summary>Bitmask of the pages that received GDDRAM data since the last <see cref="ClearLog"/>.</summary>
    public int PagesWritten { get; private set; }

    /// <summary>The display memory: 8 pages × 128 columns, bit 0 the top row of a page.</summary>
    public ReadOnlySpan<byte> Gddram => _gddram;

    public void ClearLog()
    {
        _commands.Clear();
        BytesReceived = DataBytesReceived = 0;
        WriteCount = 0;
        PagesWritten = 0;
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        WriteCount++;
        BytesReceived += data.Length;
        if (data.IsEmpty)
        {
            Violation("empty I2C write: a control byte must come first");
            return;
        }
        int i = 0;
        while (i < data.Length)
        {
            byte control = data[i++];
            if ((control & 0x3F) != 0)
                Violation($"control byte 0x{control:X2} has bits other than Co (0x80) and D/C# (0x40) set");
            bool isData = (control & 0x40) != 0;
            bool single = (control & 0x80) != 0;
            int end = single ? Math.Min(i + 1, data.Length) : data.Length;
            for (; i < end; i++)
            {
                if (isData) WriteData(data[i]);
                else Command(data[i]);
            }
        }
    }

    /// <summary>Reads the status byte (bit 6 = display off), as the SSD1306 answers a read.</summary>
    public void Read(Span<byte> data) => data.Fill(IsDisplayOn ? (byte)0x00 : (byte)0x40);

    public void WriteRead(ReadOnlySpan<byte> write, Span<byte> read)
    {
        Write(write);
        Read(read);
    }

    public void Dispose() { }

    /// <summary>What a person sees: 128×64 Gray8, 255 where a pixel is lit.</summary>
    public ImageBuffer Snapshot()
    {
        var image = new ImageBuffer(Width, Height, PixelFormat.Gray8);
        bool powered = IsDisplayOn && (IsChargePumpOn || _externalVcc);
        for (int y = 0; y < Height; y++)
        {
            var row = image.Row(y);
            // The glass's top row is wired to COM63 and its left column to SEG127.
            int com = Height - 1 - y;
            int line = ComScanReversed ? MultiplexRatio - 1 - com : com;
            for (int x = 0; x < Width; x++)
            {
                int segment = Width - 1 - x;
                int column = SegmentRemap ? Width - 1 - segment : segment;
                bool lit = false;
                if (powered && line >= 0 && line < MultiplexRatio)
                {
                    int ramRow = (line + StartLine + DisplayOffset) & (Height - 1);
                    lit = IsEntireDisplayOn || ((_gddram[(ramRow >> 3) * Width + column] >> (ramRow & 7)) & 1) != 0;
                    if (IsInverted) lit = !lit;
                }
                row[x] = lit ? (byte)255 : (byte)0;
            }
        }
        return image;
    }

    public void SavePng(string path)
    {
        using var image = Snapshot();
        File.WriteAllBytes(path, PngCodec.Encode(image));
    }

    private void PowerOnDefaults()
    {
        // Reset values (datasheet section 10): page addressing, full windows, display off, contrast 0x7F.
        IsDisplayOn = false;
        IsChargePumpOn = false;
        IsInverted = false;
        IsEntireDisplayOn = false;
        Contrast = 0x7F;
        AddressingMode = 2;
        SegmentRemap = false;
        ComScanReversed = false;
        MultiplexRatio = 64;
        StartLine = 0;
        DisplayOffset = 0;
        ComPins = 0x12;
        _columnStart = 0; _columnEnd = Width - 1;
        _pageStart = 0; _pageEnd = Pages - 1;
        _column = _page = _pageModeColumn = 0;
    }

    private static int ParameterCount(byte opcode) => opcode switch
    {
        0x20 or 0x81 or 0x8D or 0xA8 or 0xD3 or 0xD5 or 0xD9 or 0xDA or 0xDB => 1,
        0x21 or 0x22 or 0xA3 => 2,
        0x29 or 0x2A => 5,
        0x26 or 0x27 => 6,
        _ => 0,
    };

    private void Command(byte value)
    {
        if (_opcode >= 0)
        {
            _parameters[_parameterCount++] = value;
            if (_parameterCount == _expected) Complete();
            return;
        }
        _opcode = value;
        _expected = ParameterCount(value);
        _parameterCount = 0;
        if (_expected == 0) Complete();
    }

    private void Complete()
    {
        byte op = (byte)_opcode;
        var p = _parameters;
        _opcode = -1;
        if (RecordCommands) _commands.Add(new Ssd1306ReceivedCommand(op, _expected == 0 ? [] : p.AsSpan(0, _expected).ToArray()));
        switch (op)
        {
            case <= 0x0F:
                Expect(op, AddressingMode == 2, "the lower column nibble");
                _pageModeColumn = (_pageModeColumn & 0xF0) | op;
                _column = _pageModeColumn;
                break;
            case <= 0x1F:
                Expect(op, AddressingMode == 2, "the higher column nibble");
                _pageModeColumn = ((op & 0x07) << 4) | (_pageModeColumn & 0x0F);
                _column = _pageModeColumn;
                break;
            case 0x20:
                if (p[0] > 2) Violation($"memory addressing mode 0x{p[0]:X2} is invalid (0 horizontal, 1 vertical, 2 page)");
                else AddressingMode = p[0];
                break;
            case 0x21:
                Expect(op, AddressingMode != 2, "the column window");
                _columnStart = p[0] & 0x7F;
                _columnEnd = p[1] & 0x7F;
                if (_columnStart > _columnEnd) Violation($"column window {_columnStart}..{_columnEnd} is empty");
                _column = _columnStart;
                break;
            case 0x22:
                Expect(op, AddressingMode != 2, "the page window");
                _pageStart = p[0] & 0x07;
                _pageEnd = p[1] & 0x07;
                if (_pageStart > _pageEnd) Violation($"page window {_pageStart}..{_pageEnd} is empty");
                _page = _pageStart;
                break;
            case 0x26 or 0x27 or 0x29 or 0x2A or 0xA3 or 0x2F:
                if (op == 0x2F) Violation("scrolling was activated (0x2F); the emulator does not scroll");
                break;
            case 0x2E or 0xE3:
                break;
            case >= 0x40 and <= 0x7F:
                StartLine = op & 0x3F;
                break;
            case 0x81:
                Contrast = p[0];
                break;
            case 0x8D:
                IsChargePumpOn = (p[0] & 0x04) != 0;
                if (IsChargePumpOn && _externalVcc) Violation("charge pump enabled on a module powered by external VCC");
                break;
            case 0xA0 or 0xA1:
                SegmentRemap = op == 0xA1;
                break;
            case 0xA4 or 0xA5:
                IsEntireDisplayOn = op == 0xA5;
                break;
            case 0xA6 or 0xA7:
                IsInverted = op == 0xA7;
                break;
            case 0xA8:
                if (p[0] < 15 || p[0] > 63) Violation($"multiplex ratio {p[0] + 1} is outside 16..64");
                else MultiplexRatio = p[0] + 1;
                break;
            case 0xAE:
                IsDisplayOn = false;
                break;
            case 0xAF:
                if (!IsChargePumpOn && !_externalVcc)
                    Violation("display switched on with the charge pump off: without external VCC the panel stays dark (send 0x8D 0x14 first)");
                IsDisplayOn = true;
                break;
            case >= 0xB0 and <= 0xB7:
                Expect(op, AddressingMode == 2, "the page start (0xB0..0xB7)");
                _page = op & 0x07;
                break;
            case 0xC0 or 0xC8:
                ComScanReversed = op == 0xC8;
                break;
            case 0xD3:
                DisplayOffset = p[0] & 0x3F;
                break;
            case 0xD5 or 0xD9 or 0xDB:
                break;
            case 0xDA:
                ComPins = p[0];
                if ((p[0] & 0x10) == 0) Violation($"COM pins 0x{p[0]:X2} (sequential) on a 128x64 glass lights every other row; use 0x12");
                break;
            default:
                Violation($"unknown command 0x{op:X2}");
                break;
        }
    }

    private void Expect(byte op, bool valid, string what)
    {
        if (!valid)
            Violation($"command 0x{op:X2} sets {what}, which has no effect in {ModeName} addressing mode");
    }

    private string ModeName => AddressingMode switch { 0 => "horizontal", 1 => "vertical", _ => "page" };

    private void WriteData(byte value)
    {
        if (_opcode >= 0)
        {
            Violation($"GDDRAM data while command 0x{_opcode:X2} still waits for {_expected - _parameterCount} parameter(s)");
            _opcode = -1;
        }
        if (!IsChargePumpOn && !_externalVcc && !_warnedUninitialised)
        {
            Violation("GDDRAM data before the panel was initialised (charge pump still off)");
            _warnedUninitialised = true;
        }
        DataBytesReceived++;
        _gddram[_page * Width + _column] = value;
        PagesWritten |= 1 << _page;
        switch (AddressingMode)
        {
            case 0:
                if (++_column > _columnEnd)
                {
                    _column = _columnStart;
                    if (++_page > _pageEnd) _page = _pageStart;
                }
                break;
            case 1:
                if (++_page > _pageEnd)
                {
                    _page = _pageStart;
                    if (++_column > _columnEnd) _column = _columnStart;
                }
                break;
            default:
                if (++_column > Width - 1) _column = _pageModeColumn;
                break;
        }
    }

    private void Violation(string message) => _violations.Add(message);
}
