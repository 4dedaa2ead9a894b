using System.Text;
using Edge.Agent.Devices.EscPos;
using Edge.Models.Imaging;
using static Edge.Agent.Devices.EscPos.EscPosCommands;

namespace Edge.Agent.Devices.Simulation;

/// <summary>A cut-off piece of simulated paper.</summary>
public sealed class PrintedPage
{
    internal PrintedPage(int number, Bitmap1 bitmap, CutMode cut, bool truncated, IReadOnlyList<string> text)
    {
        Number = number;
        Bitmap = bitmap;
        Cut = cut;
        Truncated = truncated;
        Text = text;
    }

    /// <summary>1 for the first page this interpreter cut.</summary>
    public int Number { get; }
    /// <summary>The whole page as the head printed it, paper width × fed length (feeds are white rows).</summary>
    public Bitmap1 Bitmap { get; }
    public CutMode Cut { get; }
    /// <summary>Rows were lost on this page (paper ran out or the cover was open).</summary>
    public bool Truncated { get; }
    /// <summary>Text lines received for this page (not rendered: only raster is drawn).</summary>
    public IReadOnlyList<string> Text { get; }

    public void SavePng(string path) => Bitmap.SavePng(path);
}

/// <summary>
/// A simulated ESC/POS thermal printer. Bytes written to it (or to <see cref="Channel"/>) are executed:
/// ESC @, GS v 0 (m = 0..3), ESC * (m = 0, 1, 32, 33), ESC d, ESC J, LF, GS V (each cut finishes a
/// <see cref="PrintedPage"/>), DLE EOT 1..4 (answered from the simulated sensors), GS a (automatic
/// status back), and text with ESC ! (logged, not drawn). Unknown or malformed commands land in
/// <see cref="Violations"/>. Faults: <see cref="PaperOut"/>, <see cref="PaperRowsLeft"/>,
/// <see cref="CoverOpen"/>, <see cref="Offline"/>. Thread-safe.
/// </summary>
public sealed class EscPosInterpreter
{
    public const int DefaultLineSpacing = 30;
    private const int LineBufferRows = 48;
    private static readonly Encoding Gb18030 = CodePagesEncodingProvider.Instance.GetEncoding(54936) ?? Encoding.Latin1;

    private readonly object _gate = new();
    private readonly int _stride;
    private readonly List<PrintedPage> _pages = [];
    private readonly List<string> _violations = [];
    private readonly List<string> _textLines = [];
    private readonly List<string> _pageText = [];
    private readonly Queue<byte> _replies = new();
    private readonly byte[] _rowScratch;
    private readonly Bitmap1 _line;
    private readonly List<byte> _textBytes = [];

    private byte[] _pending = new byte[4096];
    private int _pendingLength;
    private long _offset; // stream offset of _pending[0], for violation messages
    private byte[] _page;
    private int _pageRows;
    private bool _pageTruncated;

    // Mode state that ESC @ resets.
    private int _lineSpacing = DefaultLineSpacing;
    private byte _printMode;
    private bool _chineseMode;
    private int _lineX;
    private int _lineContentRows;

    private bool _paperOut, _coverOpen, _nearEnd, _offline;
    private int? _paperRowsLeft;
    private byte _asbMask;

    public EscPosInterpreter(int paperWidthDots = 384)
    {
        if (paperWidthDots <= 0 || paperWidthDots % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(paperWidthDots), paperWidthDots, "paper width must be a positive multiple of 8 dots");
        PaperWidthDots = paperWidthDots;
        _stride = paperWidthDots / 8;
        _rowScratch = new byte[_stride];
        _page = new byte[_stride * 1024];
        _line = new Bitmap1(paperWidthDots, LineBufferRows);
        Channel = new InterpreterChannel(this);
    }

    public int PaperWidthDots { get; }

    /// <summary>This printer as a byte channel: writes are executed, reads return its replies.</summary>
    public IByteChannel Channel { get; }

    /// <summary>Raised (outside the lock) when reply bytes were queued; drain them with <see cref="TakeReplies"/>.</summary>
    public event Action? RepliesQueued;

    public IReadOnlyList<PrintedPage> Pages { get { lock (_gate) return _pages.ToArray(); } }
    public IReadOnlyList<string> Violations { get { lock (_gate) return _violations.ToArray(); } }
    public IReadOnlyList<string> TextLines { get { lock (_gate) return _textLines.ToArray(); } }
    public long BytesReceived { get; private set; }
    /// <summary>Bytes dropped because the printer was <see cref="Offline"/>.</summary>
    public long BytesIgnoredWhileOffline { get; private set; }
    /// <summary>Raster and feed rows that did not reach paper (paper out or cover open).</summary>
    public long RowsNotPrinted { get; private set; }
    public int CutCount { get; private set; }
    /// <summary>Rows on the page not yet cut.</summary>
    public int CurrentPageRows { get { lock (_gate) return _pageRows; } }

    /// <summary>The paper-end sensor sees no paper: nothing more is printed.</summary>
    public bool PaperOut { get => _paperOut; set => SetState(() => _paperOut = value); }

    /// <summary>The near-end sensor fires (the roll is getting thin); printing goes on.</summary>
    public bool PaperNearEnd { get => _nearEnd; set => SetState(() => _nearEnd = value); }

    /// <summary>Rows of paper left on the roll (null: endless). At 0 the paper runs out and later rows are lost.</summary>
    public int? PaperRowsLeft
    {
        get { lock (_gate) return _paperRowsLeft; }
        set
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "rows left cannot be negative");
            lock (_gate) _paperRowsLeft = value;
        }
    }

    /// <summary>The paper cover is open: the printer is offline and prints nothing.</summary>
    public bool CoverOpen { get => _coverOpen; set => SetState(() => _coverOpen = value); }

    /// <summary>Powered off or disconnected: bytes are dropped and nothing is answered.</summary>
    public bool Offline { get => _offline; set => SetState(() => _offline = value); }

    /// <summary>Executes <paramref name="data"/>; a command may be split across calls.</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        bool replied;
        lock (_gate)
        {
            if (_offline)
            {
                BytesIgnoredWhileOffline += data.Length;
                return;
            }
            BytesReceived += data.Length;
            int before = _replies.Count;
            if (_pending.Length < _pendingLength + data.Length)
                Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + data.Length));
            data.CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += data.Length;

            int pos = 0;
            while (pos < _pendingLength)
            {
                int used = Execute(_pending.AsSpan(pos, _pendingLength - pos), _offset + pos);
                if (used == 0) break; // incomplete command: wait for more bytes
                pos += used;
            }
            _pending.AsSpan(pos, _pendingLength - pos).CopyTo(_pending);
            _pendingLength -= pos;
            _offset += pos;
            replied = _replies.Count > before;
        }
        if (replied) RepliesQueued?.Invoke();
    }

    /// <summary>Moves queued reply bytes into <paramref name="buffer"/>; returns how many.</summary>
    public int TakeReplies(Span<byte> buffer)
    {
        lock (_gate) return TakeLocked(buffer);
    }

    /// <summary>The page printed so far but not cut yet (null when empty).</summary>
    public Bitmap1? CurrentPage()
    {
        lock (_gate) return _pageRows == 0 ? null : Bitmap1.FromPacked(PaperWidthDots, _pageRows, _page.AsSpan(0, _pageRows * _stride));
    }

    private int TakeLocked(Span<byte> buffer)
    {
        int n = 0;
        while (n < buffer.Length && _replies.Count > 0) buffer[n++] = _replies.Dequeue();
        return n;
    }

    private void SetState(Action change)
    {
        bool replied;
        lock (_gate)
        {
            int before = _replies.Count;
            byte[] old = AutomaticStatus();
            change();
            if (_asbMask != 0 && !_offline && !old.AsSpan().SequenceEqual(AutomaticStatus())) EnqueueAutomaticStatus();
            replied = _replies.Count > before;
            Monitor.PulseAll(_gate);
        }
        if (replied) RepliesQueued?.Invoke();
    }

    // ---- the command decoder: returns bytes consumed, 0 when the command is not complete yet ----

    private int Execute(ReadOnlySpan<byte> s, long offset)
    {
        byte b = s[0];
        switch (b)
        {
            case LF: PrintLine(); return 1;
            case 0x0D: return 1; // CR: ignored, as most thermal printers do by default
            case 0x09: _lineX = Math.Min(PaperWidthDots, (_lineX / 96 + 1) * 96); return 1; // HT: 8 characters of 12 dots
            case DLE: return ExecuteDle(s, offset);
            case ESC: return ExecuteEsc(s, offset);
            case GS: return ExecuteGs(s, offset);
            case FS: return ExecuteFs(s, offset);
        }
        if (b >= 0x20)
        {
            int n = 1;
            while (n < s.Length && s[n] >= 0x20) n++;
            AddText(s[..n]);
            return n;
        }
        Violation(offset, $"unexpected control byte 0x{b:X2}");
        return 1;
    }

    private int ExecuteDle(ReadOnlySpan<byte> s, long offset)
    {
        if (s.Length < 3) return 0;
        switch (s[1])
        {
            case EOT when s[2] is >= 1 and <= 4:
                EnqueueRealTimeStatus(s[2]);
                return 3;
            case EOT:
                Violation(offset, $"DLE EOT {s[2]}: n must be 1..4");
                return 3;
            case 0x05: return 3; // DLE ENQ n: recover from error; nothing to recover in the simulator
            case 0x14:
                if (s.Length < 5) return 0;
                return 5; // DLE DC4 fn m t: drawer pulse
            default:
                Violation(offset, $"unknown command DLE 0x{s[1]:X2}");
                return 2;
        }
    }

    private int ExecuteEsc(ReadOnlySpan<byte> s, long offset)
    {
        if (s.Length < 2) return 0;
        byte c = s[1];
        switch ((char)c)
        {
            case '@': Reset(); return 2;
            case '2': _lineSpacing = DefaultLineSpacing; return 2;
            case '*': return BitImage(s, offset);
            case 'p':
                return s.Length < 5 ? 0 : 5; // drawer kick
            case 'D':
                // Tab positions: up to 32 bytes ended by NUL.
                int end = s[2..].IndexOf((byte)0);
                if (end < 0) return s.Length > 34 ? Malformed(offset, "ESC D without NUL terminator", 2) : 0;
                return end + 3;
        }
        if (s.Length < 3) return c is (byte)'!' or (byte)'d' or (byte)'J' or (byte)'3' || OneParameterEsc(c) ? 0 : UnknownEsc(c, offset);
        byte n = s[2];
        switch ((char)c)
        {
            case '!': _printMode = n; return 3;
            case '3': _lineSpacing = n; return 3;
            case 'd':
                bool hadContent = LineHasContent;
                if (hadContent) PrintLine();
                FeedRows(Math.Max(0, n - (hadContent ? 1 : 0)) * _lineSpacing);
                return 3;
            case 'J':
                if (LineHasContent) PrintLine(advance: false);
                FeedRows(n);
                return 3;
        }
        return OneParameterEsc(c) ? 3 : UnknownEsc(c, offset);
    }

    // ESC SP, -, E, G, M, R, t, U, V, a, c, {, r: a single parameter that changes nothing the simulator draws.
    private static bool OneParameterEsc(byte c) => c is (byte)' ' or (byte)'-' or (byte)'E' or (byte)'G' or (byte)'M'
        or (byte)'R' or (byte)'t' or (byte)'U' or (byte)'V' or (byte)'a' or (byte)'c' or (byte)'{' or (byte)'r';

    private int UnknownEsc(byte c, long offset)
    {
        Violation(offset, $"unknown command ESC 0x{c:X2}" + (c >= 0x20 && c < 0x7F ? $" ('{(char)c}')" : ""));
        return 2;
    }

    private int ExecuteGs(ReadOnlySpan<byte> s, long offset)
    {
        if (s.Length < 3) return 0;
        byte c = s[1];
        switch ((char)c)
        {
            case 'v':
                if (s[2] != (byte)'0') { Violation(offset, $"GS v 0x{s[2]:X2}: only GS v 0 (raster bit image) exists"); return 3; }
                return Raster(s, offset);
            case 'V':
                switch (s[2])
                {
                    case 0 or 48: Cut(CutMode.Full); return 3;
                    case 1 or 49: Cut(CutMode.Partial); return 3;
                    case 65 or 66:
                        if (s.Length < 4) return 0;
                        if (LineHasContent) PrintLine(advance: false);
                        FeedRows(s[3]);
                        Cut(s[2] == 65 ? CutMode.Full : CutMode.Partial);
                        return 4;
                    default:
                        Violation(offset, $"GS V {s[2]}: cut mode must be 0, 1, 48, 49, 65 or 66");
                        return 3;
                }
            case 'a':
                _asbMask = s[2];
                if (_asbMask != 0) EnqueueAutomaticStatus();
                return 3;
            case '!' or 'B' or 'H' or 'h' or 'w' or 'f' or 'b' or 'r' or 'I':
                if (c == (byte)'r' || c == (byte)'I') EnqueueRealTimeStatus(StatusPrinter); // transmit status / printer ID: answer something plausible
                return 3;
            case 'L' or 'W' or 'P':
                return s.Length < 4 ? 0 : 4;
            case '(':
                // GS ( fn pL pH d1..dk: well-formed but not simulated (graphics store, QR codes, ...).
                if (s.Length < 5) return 0;
                int k = s[3] | s[4] << 8;
                return s.Length < 5 + k ? 0 : 5 + k;
            default:
                Violation(offset, $"unknown command GS 0x{c:X2}" + (c >= 0x20 && c < 0x7F ? $" ('{(char)c}')" : ""));
                return 2;
        }
    }

    private int ExecuteFs(ReadOnlySpan<byte> s, long offset)
    {
        if (s.Length < 2) return 0;
        switch ((char)s[1])
        {
            case '&': _chineseMode = true; return 2;
            case '.': _chineseMode = false; return 2;
            case '!' or 'C' or '-' or 'W':
                return s.Length < 3 ? 0 : 3;
            default:
                Violation(offset, $"unknown command FS 0x{s[1]:X2}");
                return 2;
        }
    }

    private int Malformed(long offset, string message, int skip)
    {
        Violation(offset, message);
        return skip;
    }

    private void Violation(long offset, string message) => _violations.Add($"byte {offset}: {message}");

    // ---- drawing ----

    private bool LineHasContent => _lineContentRows > 0 || _textBytes.Count > 0;

    /// <summary>GS v 0 m xL xH yL yH d1..dk: x bytes × y rows, MSB = leftmost dot.</summary>
    private int Raster(ReadOnlySpan<byte> s, long offset)
    {
        if (s.Length < 8) return 0;
        byte m = s[3];
        int xBytes = s[4] | s[5] << 8, rows = s[6] | s[7] << 8;
        if (m is not (<= 3 or (>= 48 and <= 51)))
        {
            Violation(offset, $"GS v 0: mode m={m} must be 0..3 or 48..51");
            return 8;
        }
        if (xBytes == 0 || rows == 0)
        {
            Violation(offset, $"GS v 0: empty image ({xBytes} bytes × {rows} rows)");
            return 8;
        }
        int length = xBytes * rows;
        if (s.Length < 8 + length) return 0;
        int dw = (m & 1) != 0 ? 2 : 1, dh = (m & 2) != 0 ? 2 : 1;
        if (xBytes * 8 * dw > PaperWidthDots)
            Violation(offset, $"GS v 0: image is {xBytes * 8 * dw} dots wide, paper takes {PaperWidthDots}; clipped");
        if (LineHasContent) PrintLine(advance: false);

        var data = s.Slice(8, length);
        for (int y = 0; y < rows; y++)
        {
            var src = data.Slice(y * xBytes, xBytes);
            var row = _rowScratch.AsSpan();
            row.Clear();
            if (dw == 1) src[..Math.Min(xBytes, _stride)].CopyTo(row);
            else
                for (int x = 0; x < xBytes * 8 && x * 2 < PaperWidthDots; x++)
                    if ((src[x >> 3] & (0x80 >> (x & 7))) != 0)
                    {
                        int d = x * 2;
                        row[d >> 3] |= (byte)(0xC0 >> (d & 7)); // d is even: both dots sit in one byte
                    }
            for (int r = 0; r < dh; r++) AppendRow(row);
        }
        return 8 + length;
    }

    /// <summary>ESC * m nL nH d1..dk: column-format bit image into the line buffer, printed by LF.</summary>
    private int BitImage(ReadOnlySpan<byte> s, long offset)
    {
        if (s.Length < 5) return 0;
        byte m = s[2];
        int columns = s[3] | s[4] << 8;
        int bytesPerColumn = m switch { 0 or 1 => 1, 32 or 33 => 3, _ => 0 };
        if (bytesPerColumn == 0)
        {
            Violation(offset, $"ESC * m={m}: bit image mode must be 0, 1, 32 or 33");
            return 5;
        }
        int length = columns * bytesPerColumn;
        if (s.Length < 5 + length) return 0;
        int xScale = m is 0 or 32 ? 2 : 1;   // single density: each column is two dots wide
        int yScale = bytesPerColumn == 1 ? 3 : 1; // 8-dot modes: each dot is three rows tall
        var data = s.Slice(5, length);
        bool clipped = false;
        for (int col = 0; col < columns; col++)
        {
            for (int bit = 0; bit < bytesPerColumn * 8; bit++)
            {
                if ((data[col * bytesPerColumn + (bit >> 3)] & (0x80 >> (bit & 7))) == 0) continue;
                for (int dx = 0; dx < xScale; dx++)
                {
                    int x = _lineX + col * xScale + dx;
                    if (x >= PaperWidthDots) { clipped = true; continue; }
                    for (int dy = 0; dy < yScale; dy++) _line[x, bit * yScale + dy] = true;
                }
            }
        }
        if (clipped || _lineX + columns * xScale > PaperWidthDots)
            Violation(offset, $"ESC * image reaches dot {_lineX + columns * xScale}, paper takes {PaperWidthDots}; clipped");
        _lineX = Math.Min(PaperWidthDots, _lineX + columns * xScale);
        _lineContentRows = Math.Max(_lineContentRows, 24);
        return 5 + length;
    }

    private void AddText(ReadOnlySpan<byte> text)
    {
        foreach (byte b in text) _textBytes.Add(b);
        int charWidth = (_printMode & 0x01) != 0 ? 9 : 12; // font B / font A
        if ((_printMode & 0x20) != 0) charWidth *= 2;
        _lineX = Math.Min(PaperWidthDots, _lineX + text.Length * charWidth);
    }

    /// <summary>Prints the line buffer (bit images; text takes its height but is not drawn) and advances one line.</summary>
    private void PrintLine(bool advance = true)
    {
        int textRows = 0;
        if (_textBytes.Count > 0)
        {
            var bytes = _textBytes.ToArray();
            string line = (_chineseMode ? Gb18030 : Encoding.Latin1).GetString(bytes);
            _textLines.Add(line);
            _pageText.Add(line);
            _textBytes.Clear();
            textRows = (_printMode & 0x10) != 0 ? 48 : 24;
        }
        int content = Math.Max(_lineContentRows, textRows);
        int rows = advance ? Math.Max(content, _lineSpacing) : content;
        for (int y = 0; y < rows; y++)
        {
            if (y < LineBufferRows) AppendRow(_line.Row(y));
            else { _rowScratch.AsSpan().Clear(); AppendRow(_rowScratch); }
        }
        _line.Reset(PaperWidthDots, LineBufferRows);
        _lineContentRows = 0;
        _lineX = 0;
    }

    private void FeedRows(int rows)
    {
        _rowScratch.AsSpan().Clear();
        for (int i = 0; i < rows; i++) AppendRow(_rowScratch);
    }

    private void AppendRow(ReadOnlySpan<byte> row)
    {
        if (!TakePaperRow())
        {
            RowsNotPrinted++;
            _pageTruncated = true;
            return;
        }
        if (_page.Length < (_pageRows + 1) * _stride) Array.Resize(ref _page, _page.Length * 2);
        row.CopyTo(_page.AsSpan(_pageRows * _stride, _stride));
        _pageRows++;
    }

    private bool TakePaperRow()
    {
        if (_paperOut || _coverOpen) return false;
        if (_paperRowsLeft is int left)
        {
            if (left == 0)
            {
                byte[] old = AutomaticStatus();
                _paperOut = true;
                if (_asbMask != 0 && !old.AsSpan().SequenceEqual(AutomaticStatus())) EnqueueAutomaticStatus();
                return false;
            }
            _paperRowsLeft = left - 1;
        }
        return true;
    }

    private void Cut(CutMode mode)
    {
        if (LineHasContent) PrintLine(advance: false);
        CutCount++;
        if (_pageRows > 0)
            _pages.Add(new PrintedPage(_pages.Count + 1, Bitmap1.FromPacked(PaperWidthDots, _pageRows, _page.AsSpan(0, _pageRows * _stride)), mode, _pageTruncated, _pageText.ToArray()));
        _pageRows = 0;
        _pageTruncated = false;
        _pageText.Clear();
    }

    private void Reset()
    {
        _lineSpacing = DefaultLineSpacing;
        _printMode = 0;
        _chineseMode = false;
        _line.Reset(PaperWidthDots, LineBufferRows);
        _lineContentRows = 0;
        _lineX = 0;
        _textBytes.Clear();
    }

    // ---- status ----

    private bool StoppedBySensor => _coverOpen || _paperOut;

    private void EnqueueRealTimeStatus(byte n)
    {
        byte reply = 0x12; // bits 1 and 4 are fixed on in every DLE EOT reply
        switch (n)
        {
            case StatusPrinter:
                if (StoppedBySensor) reply |= 0x08;
                break;
            case StatusOffline:
                if (_coverOpen) reply |= 0x04;
                if (_paperOut) reply |= 0x20; // printing stopped at paper end
                break;
            case StatusError:
                break;
            case StatusPaper:
                if (_nearEnd || _paperOut) reply |= 0x0C;
                if (_paperOut) reply |= 0x60;
                break;
        }
        _replies.Enqueue(reply);
        Monitor.PulseAll(_gate);
    }

    private byte[] AutomaticStatus() =>
    [
        (byte)(0x10 | (StoppedBySensor ? 0x08 : 0) | (_coverOpen ? 0x20 : 0)),
        0x00,
        (byte)((_nearEnd || _paperOut ? 0x03 : 0) | (_paperOut ? 0x0C : 0)),
        0x00,
    ];

    private void EnqueueAutomaticStatus()
    {
        foreach (byte b in AutomaticStatus()) _replies.Enqueue(b);
        Monitor.PulseAll(_gate);
    }

    private int ReadReplies(Span<byte> buffer, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)Math.Max(0, timeout.TotalMilliseconds);
        lock (_gate)
        {
            while (_replies.Count == 0)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0) return 0;
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(left));
            }
            return TakeLocked(buffer);
        }
    }

    private sealed class InterpreterChannel(EscPosInterpreter printer) : IByteChannel
    {
        public string Description => $"simulated ESC/POS printer ({printer.PaperWidthDots} dots)";
        public void Write(ReadOnlySpan<byte> data) => printer.Receive(data);
        public void Flush() { }
        public int Read(Span<byte> buffer, TimeSpan timeout) => printer.ReadReplies(buffer, timeout);
        public void Dispose() { }
    }
}
