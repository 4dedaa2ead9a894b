using Edge.Models.Imaging;

namespace Edge.Agent.Devices.Ssd1306;

/// <summary>SSD1306 commands used by the driver (datasheet section 9 / 10).</summary>
public enum Ssd1306Command : byte
{
    SetLowerColumn = 0x00,          // 0x00..0x0F, page addressing mode
    SetHigherColumn = 0x10,         // 0x10..0x1F, page addressing mode
    MemoryAddressingMode = 0x20,    // + 0x00 horizontal, 0x01 vertical, 0x02 page
    ColumnAddress = 0x21,           // + start, end
    PageAddress = 0x22,             // + start, end
    DeactivateScroll = 0x2E,
    SetStartLine = 0x40,            // 0x40..0x7F
    Contrast = 0x81,                // + level
    ChargePump = 0x8D,              // + 0x14 enable, 0x10 disable
    SegmentRemapNormal = 0xA0,      // column 0 → SEG0
    SegmentRemapReversed = 0xA1,    // column 127 → SEG0
    EntireDisplayFromRam = 0xA4,
    EntireDisplayOn = 0xA5,
    NormalDisplay = 0xA6,
    InverseDisplay = 0xA7,
    MultiplexRatio = 0xA8,          // + rows - 1
    DisplayOff = 0xAE,
    DisplayOn = 0xAF,
    SetPageStart = 0xB0,            // 0xB0..0xB7, page addressing mode
    ComScanIncrementing = 0xC0,
    ComScanDecrementing = 0xC8,
    DisplayOffset = 0xD3,           // + rows
    ClockDivide = 0xD5,             // + divide ratio / oscillator frequency
    PrechargePeriod = 0xD9,         // + phase 1 / phase 2
    ComPins = 0xDA,                 // + 0x12 alternative (128×64) / 0x02 sequential (128×32)
    VcomhDeselect = 0xDB,           // + level
    Nop = 0xE3,
}

/// <summary>How an SSD1306 module is powered and mounted.</summary>
public sealed record Ssd1306Options
{
    /// <summary>Turn the picture upside down (segment remap and COM scan back to the controller's defaults).</summary>
    public bool Rotate180 { get; init; }

    /// <summary>Initial contrast, 0..255.</summary>
    public byte Contrast { get; init; } = 0xCF;

    /// <summary>The panel is fed by an external VCC: the internal charge pump stays off.</summary>
    public bool ExternalVcc { get; init; }
}

/// <summary>
/// Driver for 128×64 SSD1306 OLED modules on I2C (address 0x3C or 0x3D). Frames are packed into pages of eight
/// vertical pixels; a shadow of what the panel holds means each <see cref="Show"/> sends only the column range
/// that changed in each page (0x21/0x22 windows in horizontal addressing mode). Allocates nothing per frame.
/// </summary>
public sealed class Ssd1306 : IDisposable
{
    public const int Width = 128;
    public const int Height = 64;
    public const int Pages = Height / 8;
    /// <summary>Control byte before a stream of commands (Co = 0, D/C# = 0).</summary>
    public const byte CommandStream = 0x00;
    /// <summary>Control byte before a stream of GDDRAM data (Co = 0, D/C# = 1).</summary>
    public const byte DataStream = 0x40;

    private readonly II2cDevice _i2c;
    private readonly Ssd1306Options _options;
    private readonly bool _shouldDispose;
    private readonly byte[] _frame = new byte[Width * Pages];
    private readonly byte[] _shadow = new byte[Width * Pages];
    private readonly byte[] _message = new byte[1 + Width];
    private readonly int[] _errorRows = new int[2 * (Width + 2)];
    private bool _shadowValid;
    private bool _disposed;

    public Ssd1306(II2cDevice i2c, Ssd1306Options? options = null, bool shouldDispose = false)
    {
        ArgumentNullException.ThrowIfNull(i2c);
        if (i2c.Address is not (0x3C or 0x3D))
            throw new ArgumentException($"I2C address 0x{i2c.Address:X2} is not an SSD1306 address; use 0x3C (SA0 low) or 0x3D (SA0 high)", nameof(i2c));
        _i2c = i2c;
        _options = options ?? new Ssd1306Options();
        _shouldDispose = shouldDispose;
        Contrast = _options.Contrast;
    }

    public bool IsInitialized { get; private set; }
    public bool IsOn { get; private set; }
    public bool IsInverted { get; private set; }
    public byte Contrast { get; private set; }

    /// <summary>Pages (0..7) the last <see cref="Show"/> sent; for diagnostics and tests.</summary>
    public int LastPagesSent { get; private set; }

    /// <summary>Sends the init sequence for a 128×64 module, clears the memory, then switches the display on.</summary>
    public void Initialize()
    {
        ThrowIfDisposed();
        bool ext = _options.ExternalVcc;
        Commands(
        [
            (byte)Ssd1306Command.DisplayOff,
            (byte)Ssd1306Command.ClockDivide, 0x80,
            (byte)Ssd1306Command.MultiplexRatio, Height - 1,
            (byte)Ssd1306Command.DisplayOffset, 0x00,
            (byte)Ssd1306Command.SetStartLine | 0,
            (byte)Ssd1306Command.ChargePump, ext ? (byte)0x10 : (byte)0x14,
            (byte)Ssd1306Command.MemoryAddressingMode, 0x00,
            _options.Rotate180 ? (byte)Ssd1306Command.SegmentRemapNormal : (byte)Ssd1306Command.SegmentRemapReversed,
            _options.Rotate180 ? (byte)Ssd1306Command.ComScanIncrementing : (byte)Ssd1306Command.ComScanDecrementing,
            (byte)Ssd1306Command.ComPins, 0x12,
            (byte)Ssd1306Command.Contrast, Contrast,
            (byte)Ssd1306Command.PrechargePeriod, ext ? (byte)0x22 : (byte)0xF1,
            (byte)Ssd1306Command.VcomhDeselect, 0x40,
            (byte)Ssd1306Command.EntireDisplayFromRam,
            (byte)Ssd1306Command.NormalDisplay,
            (byte)Ssd1306Command.DeactivateScroll,
        ]);
        IsInitialized = true;
        IsInverted = false;
        Array.Clear(_frame);
        _shadowValid = false;
        Flush();
        Commands([(byte)Ssd1306Command.DisplayOn]);
        IsOn = true;
    }

    /// <summary>Shows a 128×64 image (Gray8, Rgb24, Bgr24 or Rgba32): a pixel lights when its luminance is at least <paramref name="threshold"/>.</summary>
    public void Show(ImageBuffer image, byte threshold = 128)
    {
        CheckImage(image);
        Array.Clear(_frame);
        for (int y = 0; y < Height; y++)
        {
            var row = image.Row(y);
            int page = (y >> 3) * Width;
            byte bit = (byte)(1 << (y & 7));
            for (int x = 0; x < Width; x++)
                if (Luminance(row, x, image.Format) >= threshold) _frame[page + x] |= bit;
        }
        Flush();
    }

    /// <summary>Shows a 128×64 image with Floyd–Steinberg error diffusion, for photos and gradients.</summary>
    public void ShowDithered(ImageBuffer image)
    {
        CheckImage(image);
        Array.Clear(_frame);
        Array.Clear(_errorRows);
        // Two rows of error, each with one guard cell either side; errors are in 1/16 units.
        int stride = Width + 2;
        for (int y = 0; y < Height; y++)
        {
            var row = image.Row(y);
            int cur = (y & 1) * stride, next = stride - cur;
            Array.Clear(_errorRows, next, stride);
            int page = (y >> 3) * Width;
            byte bit = (byte)(1 << (y & 7));
            for (int x = 0; x < Width; x++)
            {
                int value = Luminance(row, x, image.Format) + (_errorRows[cur + x + 1] >> 4);
                int error;
                if (value >= 128)
                {
                    _frame[page + x] |= bit;
                    error = value - 255;
                }
                else
                {
                    error = value;
                }
                _errorRows[cur + x + 2] += error * 7;
                _errorRows[next + x] += error * 3;
                _errorRows[next + x + 1] += error * 5;
                _errorRows[next + x + 2] += error;
            }
        }
        Flush();
    }

    /// <summary>Shows a frame already packed the way GDDRAM holds it: 8 pages × 128 columns, bit 0 = top row of the page.</summary>
    public void ShowPages(ReadOnlySpan<byte> pages)
    {
        ThrowIfNotInitialized();
        if (pages.Length != _frame.Length)
            throw new ArgumentException($"a packed frame is {_frame.Length} bytes (8 pages x 128 columns), given {pages.Length}", nameof(pages));
        pages.CopyTo(_frame);
        Flush();
    }

    public void Clear()
    {
        ThrowIfNotInitialized();
        Array.Clear(_frame);
        Flush();
    }

    public void SetContrast(byte level)
    {
        ThrowIfNotInitialized();
        Commands([(byte)Ssd1306Command.Contrast, level]);
        Contrast = level;
    }

    /// <summary>White on black (false) or black on white (true), done by the controller without resending the frame.</summary>
    public void SetInverted(bool inverted)
    {
        ThrowIfNotInitialized();
        Commands([inverted ? (byte)Ssd1306Command.InverseDisplay : (byte)Ssd1306Command.NormalDisplay]);
        IsInverted = inverted;
    }

    /// <summary>Display off and charge pump off: the module draws a few µA and keeps its memory.</summary>
    public void PowerOff()
    {
        ThrowIfNotInitialized();
        Commands([(byte)Ssd1306Command.DisplayOff, (byte)Ssd1306Command.ChargePump, 0x10]);
        IsOn = false;
    }

    public void PowerOn()
    {
        ThrowIfNotInitialized();
        Commands([(byte)Ssd1306Command.ChargePump, _options.ExternalVcc ? (byte)0x10 : (byte)0x14, (byte)Ssd1306Command.DisplayOn]);
        IsOn = true;
    }

    /// <summary>Sends, page by page, the column range that differs from what the panel holds.</summary>
    private void Flush()
    {
        int sent = 0;
        for (int page = 0; page < Pages; page++)
        {
            int offset = page * Width;
            int first = 0, last = Width - 1;
            if (_shadowValid)
            {
                var now = _frame.AsSpan(offset, Width);
                var was = _shadow.AsSpan(offset, Width);
                first = now.CommonPrefixLength(was);
                if (first == Width) continue;
                while (now[last] == was[last]) last--;
            }
            Commands([(byte)Ssd1306Command.ColumnAddress, (byte)first, (byte)last, (byte)Ssd1306Command.PageAddress, (byte)page, (byte)page]);
            int n = last - first + 1;
            _message[0] = DataStream;
            _frame.AsSpan(offset + first, n).CopyTo(_message.AsSpan(1));
            _i2c.Write(_message.AsSpan(0, n + 1));
            _frame.AsSpan(offset + first, n).CopyTo(_shadow.AsSpan(offset + first));
            sent |= 1 << page;
        }
        _shadowValid = true;
        LastPagesSent = System.Numerics.BitOperations.PopCount((uint)sent);
    }

    private void Commands(ReadOnlySpan<byte> commands)
    {
        _message[0] = CommandStream;
        commands.CopyTo(_message.AsSpan(1));
        _i2c.Write(_message.AsSpan(0, commands.Length + 1));
    }

    private static int Luminance(ReadOnlySpan<byte> row, int x, PixelFormat format) => format switch
    {
        PixelFormat.Gray8 => row[x],
        PixelFormat.Rgb24 => (77 * row[3 * x] + 150 * row[3 * x + 1] + 29 * row[3 * x + 2]) >> 8,
        PixelFormat.Bgr24 => (29 * row[3 * x] + 150 * row[3 * x + 1] + 77 * row[3 * x + 2]) >> 8,
        PixelFormat.Rgba32 => (77 * row[4 * x] + 150 * row[4 * x + 1] + 29 * row[4 * x + 2]) >> 8,
        _ => throw new ArgumentException($"pixel format {format} is not supported by the SSD1306 driver", nameof(format)),
    };

    private void CheckImage(ImageBuffer image)
    {
        ThrowIfNotInitialized();
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != Width || image.Height != Height)
            throw new ArgumentException($"image is {image.Width}x{image.Height} but the SSD1306 shows {Width}x{Height}", nameof(image));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void ThrowIfNotInitialized()
    {
        ThrowIfDisposed();
        if (!IsInitialized) throw new InvalidOperationException("the SSD1306 is not initialised; call Initialize() first");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_shouldDispose) _i2c.Dispose();
    }
}
