using Edge.Models.Imaging;

namespace Edge.Agent.Devices.EscPos;

public enum CutMode { None, Partial, Full }

/// <summary>ESC/POS command bytes the driver sends and the simulator interprets.</summary>
public static class EscPosCommands
{
    public const byte LF = 0x0A, DLE = 0x10, EOT = 0x04, ESC = 0x1B, FS = 0x1C, GS = 0x1D;

    /// <summary>DLE EOT n status classes.</summary>
    public const byte StatusPrinter = 1, StatusOffline = 2, StatusError = 3, StatusPaper = 4;

    /// <summary>Every DLE EOT reply looks like 0xx1xx10; automatic status back bytes never do.</summary>
    public static bool IsRealTimeStatusByte(byte b) => (b & 0b1001_0011) == 0b0001_0010;
}

/// <summary>How the driver talks to one printer; validated on construction of <see cref="EscPosPrinter"/>.</summary>
public sealed record EscPosOptions
{
    /// <summary>Printable dots per line: 384 (58 mm paper at 203 dpi) or 576 (80 mm).</summary>
    public int PaperWidthDots { get; init; } = 384;

    /// <summary>Rows per GS v 0 command (24..255), so one command never overruns a small printer's receive buffer.</summary>
    public int MaxBandRows { get; init; } = 128;

    public CutMode Cut { get; init; } = CutMode.Partial;

    /// <summary>Lines fed after the image so it clears the cutter (0..255).</summary>
    public int FeedLinesBeforeCut { get; init; } = 4;

    /// <summary>How long a status query waits for the printer's answer.</summary>
    public TimeSpan StatusTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public void Validate()
    {
        if (PaperWidthDots is not (384 or 576))
            throw new ArgumentOutOfRangeException(nameof(PaperWidthDots), PaperWidthDots,
                $"PaperWidthDots must be 384 (58 mm paper) or 576 (80 mm paper), not {PaperWidthDots}");
        if (MaxBandRows is < 24 or > 255)
            throw new ArgumentOutOfRangeException(nameof(MaxBandRows), MaxBandRows, $"MaxBandRows must be within 24..255, not {MaxBandRows}");
        if (!Enum.IsDefined(Cut))
            throw new ArgumentOutOfRangeException(nameof(Cut), Cut, "Cut must be None, Partial or Full");
        if (FeedLinesBeforeCut is < 0 or > 255)
            throw new ArgumentOutOfRangeException(nameof(FeedLinesBeforeCut), FeedLinesBeforeCut, $"FeedLinesBeforeCut must be within 0..255, not {FeedLinesBeforeCut}");
        if (StatusTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(StatusTimeout), StatusTimeout, "StatusTimeout must be positive");
    }
}

/// <summary>What DLE EOT 1..4 said. <see cref="Raw"/> holds the four reply bytes (fewer when the printer fell silent).</summary>
public sealed record PrinterStatus(
    bool Offline,
    bool CoverOpen,
    bool PaperFeedButton,
    bool PaperOut,
    bool PaperNearEnd,
    bool Error,
    IReadOnlyList<byte> Raw,
    string? Reason = null)
{
    /// <summary>Ready to print: online, cover closed, paper in, no error.</summary>
    public bool IsReady => !Offline && !CoverOpen && !PaperOut && !Error;

    /// <summary>The printer did not answer at all.</summary>
    public static PrinterStatus NoReply(IReadOnlyList<byte> raw) => new(true, false, false, false, false, false, raw, "no reply");

    /// <summary>Decodes the replies to DLE EOT 1, 2, 3 and 4, in that order.</summary>
    public static PrinterStatus Parse(byte printer, byte offline, byte error, byte paper)
    {
        bool isOffline = (printer & 0x08) != 0;
        bool coverOpen = (offline & 0x04) != 0;
        bool feedButton = (offline & 0x08) != 0;
        bool paperEndStop = (offline & 0x20) != 0;
        bool anyError = (offline & 0x40) != 0 || (error & 0b0110_1100) != 0; // mechanical, cutter, unrecoverable, auto-recoverable
        bool nearEnd = (paper & 0x0C) != 0;
        bool paperOut = paperEndStop || (paper & 0x60) != 0;
        var status = new PrinterStatus(isOffline, coverOpen, feedButton, paperOut, nearEnd, anyError, [printer, offline, error, paper]);
        return status with { Reason = status.Describe() };
    }

    /// <summary>The problems in words ("paper out, cover open"), or null when there are none.</summary>
    public string? Describe()
    {
        var problems = new List<string>(4);
        if (PaperOut) problems.Add("paper out");
        if (CoverOpen) problems.Add("cover open");
        if (Error) problems.Add("error");
        if (Offline && problems.Count == 0) problems.Add(Reason ?? "offline");
        if (PaperNearEnd && !PaperOut) problems.Add("paper near end");
        return problems.Count == 0 ? null : string.Join(", ", problems);
    }
}

/// <summary>The printer cannot print now; <see cref="Status"/> says why.</summary>
public sealed class PrinterNotReadyException : DeviceException
{
    public PrinterNotReadyException(string printer, PrinterStatus status)
        : base($"printer {printer} is not ready: {status.Describe() ?? "unknown reason"}{Advice(status)}") => Status = status;

    public PrinterStatus Status { get; }

    private static string Advice(PrinterStatus s) =>
        s.PaperOut ? "; load a new paper roll" :
        s.CoverOpen ? "; close the paper cover" :
        s.Reason == "no reply" ? "; check the printer is switched on and connected" : "";
}

/// <summary>The outcome of <see cref="EscPosPrinter.PrintJob"/>.</summary>
public sealed record PrintJobResult(bool Complete, PrinterStatus Before, PrinterStatus After)
{
    /// <summary>Why the job did not complete (e.g. "paper ran out during the job"), or null.</summary>
    public string? Problem => Complete ? null :
        After.PaperOut ? "paper ran out during the job; the card is incomplete" :
        $"printer reported {After.Describe()} after the job";
}

/// <summary>
/// An ESC/POS thermal receipt printer (58 mm or 80 mm) driven with raster images: GS v 0 in bands,
/// ESC d feed, GS V cut, DLE EOT real-time status. Text is left to the caller's rendering.
/// </summary>
public sealed class EscPosPrinter : IDisposable
{
    private readonly IByteChannel _channel;
    private readonly bool _shouldDispose;
    private readonly byte[] _status = new byte[16];

    public EscPosPrinter(IByteChannel channel, EscPosOptions options, bool shouldDispose = false)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _channel = channel;
        Options = options;
        _shouldDispose = shouldDispose;
    }

    public EscPosOptions Options { get; }

    /// <summary>ESC @: clears the print buffer and resets modes to power-on defaults.</summary>
    public void Initialize() => _channel.Write([EscPosCommands.ESC, (byte)'@']);

    /// <summary>Prints <paramref name="image"/> at the left margin as GS v 0 commands of at most <see cref="EscPosOptions.MaxBandRows"/> rows.</summary>
    public void PrintRaster(Bitmap1 image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width > Options.PaperWidthDots)
            throw new ArgumentException($"image is {image.Width} dots wide but the paper takes {Options.PaperWidthDots}; fit it with Dither (TargetWidth)", nameof(image));
        int stride = image.Stride;
        Span<byte> header = stackalloc byte[8];
        for (int y = 0; y < image.Height; y += Options.MaxBandRows)
        {
            int rows = Math.Min(Options.MaxBandRows, image.Height - y);
            header[0] = EscPosCommands.GS; header[1] = (byte)'v'; header[2] = (byte)'0'; header[3] = 0; // m = 0: normal size
            header[4] = (byte)stride; header[5] = (byte)(stride >> 8);
            header[6] = (byte)rows; header[7] = (byte)(rows >> 8);
            _channel.Write(header);
            _channel.Write(image.Data.Slice(y * stride, rows * stride));
        }
    }

    /// <summary>ESC d n: prints the buffer and feeds <paramref name="lines"/> lines (0..255).</summary>
    public void Feed(int lines)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lines);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lines, 255);
        _channel.Write([EscPosCommands.ESC, (byte)'d', (byte)lines]);
    }

    /// <summary>GS V m: cuts as <see cref="EscPosOptions.Cut"/> says (full: m = 0, partial: m = 1); nothing when cutting is off.</summary>
    public void Cut()
    {
        if (Options.Cut == CutMode.None) return;
        _channel.Write([EscPosCommands.GS, (byte)'V', Options.Cut == CutMode.Full ? (byte)0 : (byte)1]);
    }

    /// <summary>
    /// Asks DLE EOT 1..4 and decodes the answers. A printer that does not answer within
    /// <paramref name="timeout"/> is reported Offline with reason "no reply"; a broken channel throws <see cref="DeviceException"/>.
    /// </summary>
    public PrinterStatus QueryStatus(TimeSpan timeout)
    {
        DiscardPendingInput();
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        Span<byte> replies = stackalloc byte[4];
        for (int n = 1; n <= 4; n++)
        {
            _channel.Write([EscPosCommands.DLE, EscPosCommands.EOT, (byte)n]);
            _channel.Flush();
            if (!TryReadStatusByte(deadline, out replies[n - 1]))
                return PrinterStatus.NoReply(replies[..(n - 1)].ToArray());
        }
        return PrinterStatus.Parse(replies[0], replies[1], replies[2], replies[3]);
    }

    /// <summary>
    /// Prints one card: checks the printer is ready (else throws <see cref="PrinterNotReadyException"/>),
    /// then ESC @, the raster, feed and cut, then checks again so paper that ran out mid-job is reported.
    /// </summary>
    public PrintJobResult PrintJob(Bitmap1 card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var before = QueryStatus(Options.StatusTimeout);
        if (!before.IsReady) throw new PrinterNotReadyException(_channel.Description, before);

        Initialize();
        PrintRaster(card);
        Feed(Options.FeedLinesBeforeCut);
        Cut();
        _channel.Flush();

        var after = QueryStatus(Options.StatusTimeout);
        return new PrintJobResult(after.IsReady, before, after);
    }

    public void Dispose()
    {
        if (_shouldDispose) _channel.Dispose();
    }

    private void DiscardPendingInput()
    {
        // Stale replies and automatic status back bytes must not be taken for this query's answers.
        while (_channel.Read(_status, TimeSpan.Zero) > 0) { }
    }

    private bool TryReadStatusByte(long deadline, out byte value)
    {
        while (true)
        {
            var left = TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
            int n = _channel.Read(_status.AsSpan(0, 1), left);
            if (n == 1 && EscPosCommands.IsRealTimeStatusByte(_status[0])) { value = _status[0]; return true; }
            if (n == 0 && left == TimeSpan.Zero) { value = 0; return false; }
        }
    }
}
