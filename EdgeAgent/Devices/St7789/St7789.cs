using Edge.Models.Imaging;

namespace Edge.Agent.Devices.St7789;

/// <summary>ST7789 command opcodes used by the driver (datasheet section 9.1).</summary>
public enum St7789Command : byte
{
    Nop = 0x00,
    SoftwareReset = 0x01,        // SWRESET
    SleepIn = 0x10,              // SLPIN
    SleepOut = 0x11,             // SLPOUT
    PartialModeOn = 0x12,        // PTLON
    NormalModeOn = 0x13,         // NORON
    InversionOff = 0x20,         // INVOFF
    InversionOn = 0x21,          // INVON
    DisplayOff = 0x28,           // DISPOFF
    DisplayOn = 0x29,            // DISPON
    ColumnAddressSet = 0x2A,     // CASET
    RowAddressSet = 0x2B,        // RASET
    MemoryWrite = 0x2C,          // RAMWR
    MemoryDataAccessControl = 0x36, // MADCTL
    InterfacePixelFormat = 0x3A, // COLMOD
    MemoryWriteContinue = 0x3C,  // RAMWRC
}

/// <summary>MADCTL bits: how the address counter maps onto the 240×320 frame memory.</summary>
[Flags]
public enum St7789Madctl : byte
{
    None = 0,
    /// <summary>MH: horizontal refresh order (no visible effect).</summary>
    HorizontalRefreshRightToLeft = 0x04,
    /// <summary>RGB: 1 sends the red channel to the blue sub-pixel (BGR panels).</summary>
    Bgr = 0x08,
    /// <summary>ML: vertical refresh order (no visible effect).</summary>
    VerticalRefreshBottomToTop = 0x10,
    /// <summary>MV: exchange rows and columns.</summary>
    RowColumnExchange = 0x20,
    /// <summary>MX: mirror the column direction.</summary>
    ColumnMirror = 0x40,
    /// <summary>MY: mirror the row direction.</summary>
    RowMirror = 0x80,
}

/// <summary>How an ST7789 panel is wired and mounted. Validated by <see cref="Validate"/>.</summary>
public sealed record St7789Options
{
    /// <summary>Panel width in its unrotated (portrait) frame: 240.</summary>
    public int Width { get; init; } = 240;

    /// <summary>Panel height in its unrotated frame: 240 or 320.</summary>
    public int Height { get; init; } = 240;

    /// <summary>Clockwise rotation of the picture in degrees: 0, 90, 180 or 270.</summary>
    public int Rotation { get; init; }

    /// <summary>
    /// First controller column the glass is wired to, in the unrotated frame. 0 for the common 240×240 and
    /// 240×320 modules; the per-rotation offsets (80 rows or columns on 240×240 at 180° and 270°) follow from it.
    /// </summary>
    public int ColumnOffset { get; init; }

    /// <summary>First controller row the glass is wired to, in the unrotated frame (0 for common modules).</summary>
    public int RowOffset { get; init; }

    /// <summary>Send INVON: IPS panels (most ST7789 modules) show inverted colours without it.</summary>
    public bool InvertColors { get; init; } = true;

    /// <summary>Set MADCTL's RGB bit for panels whose sub-pixels are ordered blue-green-red.</summary>
    public bool Bgr { get; init; }

    /// <summary>Optional backlight line (active high).</summary>
    public IGpioOutput? Backlight { get; init; }

    /// <summary>Clear the frame memory to black before DISPON so no noise flashes up.</summary>
    public bool ClearOnInitialize { get; init; } = true;

    /// <summary>How the driver waits the datasheet's delays; null sleeps the thread. Tests pass an emulator clock.</summary>
    public Action<TimeSpan>? Delay { get; init; }

    public const int ControllerColumns = 240;
    public const int ControllerRows = 320;

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and the value when the options cannot work.</summary>
    public void Validate()
    {
        if (!((Width == 240 && Height == 240) || (Width == 240 && Height == 320)))
            throw new ArgumentException($"St7789Options.Width x Height {Width}x{Height} is not supported; use 240x240 or 240x320", nameof(Width));
        if (Rotation is not (0 or 90 or 180 or 270))
            throw new ArgumentException($"St7789Options.Rotation {Rotation} is not supported; use 0, 90, 180 or 270", nameof(Rotation));
        if (ColumnOffset < 0 || ColumnOffset + Width > ControllerColumns)
            throw new ArgumentException($"St7789Options.ColumnOffset {ColumnOffset} puts a {Width}-wide panel outside the controller's {ControllerColumns} columns", nameof(ColumnOffset));
        if (RowOffset < 0 || RowOffset + Height > ControllerRows)
            throw new ArgumentException($"St7789Options.RowOffset {RowOffset} puts a {Height}-tall panel outside the controller's {ControllerRows} rows", nameof(RowOffset));
    }
}

/// <summary>
/// Driver for ST7789 240×240 / 240×320 TFT panels on 4-wire SPI (MOSI, SCLK, CS plus a data/command line).
/// Frames are converted to big-endian RGB565 in one reused buffer and sent in transfers of at most
/// <see cref="MaxTransferBytes"/>; after the first frame <see cref="Show"/> allocates nothing.
/// </summary>
public sealed class St7789 : IDisposable
{
    /// <summary>spidev's default bufsiz: larger transfers fail with EMSGSIZE.</summary>
    public const int MaxTransferBytes = 4096;

    // Datasheet waits (ST7789V 9.1.2 and 9.1.12): after SWRESET and SLPOUT 120 ms before SLPOUT/SLPIN, 5 ms before
    // any command; RESX low for at least 10 µs, then 120 ms.
    private static readonly TimeSpan ResetPulse = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan AfterReset = TimeSpan.FromMilliseconds(120);
    private static readonly TimeSpan AfterSoftwareReset = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan AfterSleepOut = TimeSpan.FromMilliseconds(120);
    private static readonly TimeSpan AfterSleepIn = TimeSpan.FromMilliseconds(120); // before a following SLPOUT

    private readonly ISpiDevice _spi;
    private readonly IGpioOutput _dataCommand;
    private readonly IGpioOutput? _reset;
    private readonly IGpioOutput? _backlight;
    private readonly Action<TimeSpan> _delay;
    private readonly bool _shouldDispose;
    private readonly St7789Options _options;
    private readonly byte[] _chunk = new byte[MaxTransferBytes];
    private readonly byte[] _command = new byte[1];
    private readonly byte[] _parameters = new byte[4];
    private readonly int _columnStart;
    private readonly int _rowStart;
    private bool _backlightOn;
    private bool _disposed;

    public St7789(ISpiDevice spi, IGpioOutput dataCommand, IGpioOutput? reset, St7789Options options, bool shouldDispose = false)
    {
        ArgumentNullException.ThrowIfNull(spi);
        ArgumentNullException.ThrowIfNull(dataCommand);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _spi = spi;
        _dataCommand = dataCommand;
        _reset = reset;
        _backlight = options.Backlight;
        _options = options;
        _shouldDispose = shouldDispose;
        _delay = options.Delay ?? Thread.Sleep;
        Rotation = options.Rotation;
        bool landscape = Rotation is 90 or 270;
        Width = landscape ? options.Height : options.Width;
        Height = landscape ? options.Width : options.Height;
        (Madctl, _columnStart, _rowStart) = AddressingFor(options);
    }

    /// <summary>Width of the picture as seen after rotation.</summary>
    public int Width { get; }

    /// <summary>Height of the picture as seen after rotation.</summary>
    public int Height { get; }

    public int Rotation { get; }

    /// <summary>The MADCTL value sent at initialisation.</summary>
    public St7789Madctl Madctl { get; }

    public bool IsInitialized { get; private set; }

    public bool IsSleeping { get; private set; }

    /// <summary>Switches the backlight line; false and ignored when the options name no backlight.</summary>
    public bool BacklightOn
    {
        get => _backlightOn;
        set
        {
            if (_backlight is null) return;
            _backlight.Write(value);
            _backlightOn = value;
        }
    }

    /// <summary>
    /// MADCTL and the address offsets for a rotation. MV exchanges the counter's axes, then MX/MY mirror the
    /// memory's columns (0..239) and rows (0..319); the offsets put the window on the glass. For a 240×240 panel
    /// this gives the 80-row offset at 180° and the 80-column offset at 270° that the common drivers use.
    /// </summary>
    internal static (St7789Madctl Madctl, int ColumnStart, int RowStart) AddressingFor(St7789Options o)
    {
        const int Cols = St7789Options.ControllerColumns, Rows = St7789Options.ControllerRows;
        var color = o.Bgr ? St7789Madctl.Bgr : St7789Madctl.None;
        return o.Rotation switch
        {
            0 => (color, o.ColumnOffset, o.RowOffset),
            90 => (color | St7789Madctl.RowColumnExchange | St7789Madctl.ColumnMirror, o.RowOffset, Cols - o.Width - o.ColumnOffset),
            180 => (color | St7789Madctl.ColumnMirror | St7789Madctl.RowMirror, Cols - o.Width - o.ColumnOffset, Rows - o.Height - o.RowOffset),
            270 => (color | St7789Madctl.RowColumnExchange | St7789Madctl.RowMirror, Rows - o.Height - o.RowOffset, o.ColumnOffset),
            _ => throw new ArgumentException($"St7789Options.Rotation {o.Rotation} is not supported; use 0, 90, 180 or 270", nameof(o)),
        };
    }

    /// <summary>Resets the panel and sends the init sequence: SWRESET, SLPOUT, COLMOD 0x55, MADCTL, INVON/INVOFF, NORON, DISPON.</summary>
    public void Initialize()
    {
        ThrowIfDisposed();
        if (_reset is not null)
        {
            _reset.Write(true);
            _reset.Write(false);
            _delay(ResetPulse);
            _reset.Write(true);
            _delay(AfterReset);
        }
        SendCommand(St7789Command.SoftwareReset);
        _delay(AfterSoftwareReset);
        SendCommand(St7789Command.SleepOut);
        _delay(AfterSleepOut);
        SendCommand(St7789Command.InterfacePixelFormat, 0x55); // 65K colours, 16 bits per pixel on the interface
        SendCommand(St7789Command.MemoryDataAccessControl, (byte)Madctl);
        SendCommand(_options.InvertColors ? St7789Command.InversionOn : St7789Command.InversionOff);
        SendCommand(St7789Command.NormalModeOn);
        IsSleeping = false;
        IsInitialized = true;
        if (_options.ClearOnInitialize) Fill(0, 0, 0);
        SendCommand(St7789Command.DisplayOn);
        BacklightOn = true;
    }

    /// <summary>Sends a whole frame; the image must be <see cref="Width"/>×<see cref="Height"/> (Rgb24, Bgr24, Rgba32 or Gray8).</summary>
    public void Show(ImageBuffer image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != Width || image.Height != Height)
            throw new ArgumentException($"image is {image.Width}x{image.Height} but the panel at rotation {Rotation} shows {Width}x{Height}", nameof(image));
        WriteWindow(image, 0, 0, 0, 0, Width, Height);
    }

    /// <summary>
    /// Sends one rectangle of a full-screen frame: only CASET/RASET/RAMWR for that window and its pixels go on the bus.
    /// </summary>
    public void ShowRegion(ImageBuffer frame, int x, int y, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Width != Width || frame.Height != Height)
            throw new ArgumentException($"frame is {frame.Width}x{frame.Height} but the panel at rotation {Rotation} shows {Width}x{Height}; use ShowAt for a smaller image", nameof(frame));
        CheckWindow(x, y, width, height);
        WriteWindow(frame, x, y, x, y, width, height);
    }

    /// <summary>Sends a whole image (smaller than the screen) with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public void ShowAt(ImageBuffer image, int x, int y)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckWindow(x, y, image.Width, image.Height);
        WriteWindow(image, 0, 0, x, y, image.Width, image.Height);
    }

    /// <summary>Fills the screen with one colour.</summary>
    public void Fill(byte r, byte g, byte b)
    {
        ThrowIfNotInitialized();
        byte hi = (byte)((r & 0xF8) | (g >> 5));
        byte lo = (byte)(((g & 0x1C) << 3) | (b >> 3));
        for (int i = 0; i < _chunk.Length; i += 2)
        {
            _chunk[i] = hi;
            _chunk[i + 1] = lo;
        }
        SetWindow(0, 0, Width, Height);
        long remaining = (long)Width * Height * 2;
        while (remaining > 0)
        {
            int n = (int)Math.Min(remaining, _chunk.Length);
            _spi.Write(_chunk.AsSpan(0, n));
            remaining -= n;
        }
    }

    /// <summary>Enters sleep mode (SLPIN): the panel keeps its memory and draws almost nothing. Switches the backlight off.</summary>
    public void Sleep()
    {
        ThrowIfNotInitialized();
        if (IsSleeping) return;
        SendCommand(St7789Command.SleepIn);
        _delay(AfterSleepIn);
        IsSleeping = true;
        if (_backlight is not null) _backlight.Write(false);
    }

    /// <summary>Leaves sleep mode (SLPOUT) and restores the backlight.</summary>
    public void Wake()
    {
        ThrowIfNotInitialized();
        if (!IsSleeping) return;
        SendCommand(St7789Command.SleepOut);
        _delay(AfterSleepOut);
        IsSleeping = false;
        if (_backlight is not null) _backlight.Write(_backlightOn);
    }

    public void DisplayOn() { ThrowIfNotInitialized(); SendCommand(St7789Command.DisplayOn); }

    public void DisplayOff() { ThrowIfNotInitialized(); SendCommand(St7789Command.DisplayOff); }

    private void CheckWindow(int x, int y, int width, int height)
    {
        if (width <= 0 || height <= 0 || x < 0 || y < 0 || x + width > Width || y + height > Height)
            throw new ArgumentOutOfRangeException(nameof(width), $"window {width}x{height} at ({x},{y}) is not inside the {Width}x{Height} screen");
    }

    private void WriteWindow(ImageBuffer image, int srcX, int srcY, int dstX, int dstY, int width, int height)
    {
        ThrowIfNotInitialized();
        var format = image.Format;
        int bpp = format.BytesPerPixel();
        SetWindow(dstX, dstY, width, height);
        int fill = 0;
        for (int row = 0; row < height; row++)
        {
            ReadOnlySpan<byte> src = image.Row(srcY + row).Slice(srcX * bpp, width * bpp);
            int px = 0;
            while (px < width)
            {
                if (fill == _chunk.Length)
                {
                    _spi.Write(_chunk);
                    fill = 0;
                }
                int n = Math.Min(width - px, (_chunk.Length - fill) >> 1);
                ToRgb565(src.Slice(px * bpp, n * bpp), format, _chunk.AsSpan(fill, n * 2));
                fill += n * 2;
                px += n;
            }
        }
        if (fill > 0) _spi.Write(_chunk.AsSpan(0, fill));
    }

    /// <summary>Converts pixels to big-endian RGB565 (the byte order the ST7789 expects with COLMOD 0x55).</summary>
    internal static void ToRgb565(ReadOnlySpan<byte> src, PixelFormat format, Span<byte> dst)
    {
        int n = dst.Length >> 1;
        switch (format)
        {
            case PixelFormat.Rgb24:
                for (int i = 0, s = 0; i < n; i++, s += 3) Pack(src[s], src[s + 1], src[s + 2], dst, i);
                break;
            case PixelFormat.Bgr24:
                for (int i = 0, s = 0; i < n; i++, s += 3) Pack(src[s + 2], src[s + 1], src[s], dst, i);
                break;
            case PixelFormat.Rgba32:
                for (int i = 0, s = 0; i < n; i++, s += 4) Pack(src[s], src[s + 1], src[s + 2], dst, i);
                break;
            case PixelFormat.Gray8:
                for (int i = 0; i < n; i++) Pack(src[i], src[i], src[i], dst, i);
                break;
            default:
                throw new ArgumentException($"pixel format {format} is not supported by the ST7789 driver", nameof(format));
        }
    }

    private static void Pack(byte r, byte g, byte b, Span<byte> dst, int i)
    {
        dst[2 * i] = (byte)((r & 0xF8) | (g >> 5));
        dst[2 * i + 1] = (byte)(((g & 0x1C) << 3) | (b >> 3));
    }

    /// <summary>CASET, RASET, then RAMWR; leaves DC high so pixel bytes follow.</summary>
    private void SetWindow(int x, int y, int width, int height)
    {
        int x0 = x + _columnStart, x1 = x0 + width - 1;
        int y0 = y + _rowStart, y1 = y0 + height - 1;
        SendCommand(St7789Command.ColumnAddressSet, (byte)(x0 >> 8), (byte)x0, (byte)(x1 >> 8), (byte)x1);
        SendCommand(St7789Command.RowAddressSet, (byte)(y0 >> 8), (byte)y0, (byte)(y1 >> 8), (byte)y1);
        SendCommand(St7789Command.MemoryWrite);
        _dataCommand.Write(true);
    }

    private void SendCommand(St7789Command command)
    {
        _dataCommand.Write(false);
        _command[0] = (byte)command;
        _spi.Write(_command);
    }

    private void SendCommand(St7789Command command, byte p0)
    {
        SendCommand(command);
        _parameters[0] = p0;
        _dataCommand.Write(true);
        _spi.Write(_parameters.AsSpan(0, 1));
    }

    private void SendCommand(St7789Command command, byte p0, byte p1, byte p2, byte p3)
    {
        SendCommand(command);
        _parameters[0] = p0;
        _parameters[1] = p1;
        _parameters[2] = p2;
        _parameters[3] = p3;
        _dataCommand.Write(true);
        _spi.Write(_parameters);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void ThrowIfNotInitialized()
    {
        ThrowIfDisposed();
        if (!IsInitialized) throw new InvalidOperationException("the ST7789 is not initialised; call Initialize() first");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_shouldDispose) return;
        _spi.Dispose();
        _dataCommand.Dispose();
        _reset?.Dispose();
        _backlight?.Dispose();
    }
}
