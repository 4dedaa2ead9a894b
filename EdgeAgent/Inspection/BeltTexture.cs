using Edge.Models.Imaging;

namespace Edge.Agent.Inspection;

/// <summary>
/// A synthetic conveyor belt for continuous mode's simulator: dark rubber whose streaks run along the direction of
/// travel (each row has its own level), dust and grain that move with the belt, a splice seam across it every few
/// hundred pixels, a fixed guide rail along the top edge that does not move, and fresh sensor noise in every frame.
/// Parts are laid onto it by <see cref="ContinuousConveyor.Composite"/> using their coverage masks, so the belt around a
/// part is this belt, not the background of the image the part came from.
/// </summary>
public sealed class BeltTexture
{
    private const int Period = 1024; // belt texture repeats every 1024 px of travel
    private readonly byte[] _texture; // Period × Height, gray
    private readonly byte[] _rail;    // rows of the rail (a fixed structure, the same in every frame)
    private uint _noise;

    /// <summary>Mean gray level of the belt.</summary>
    public byte Level { get; }
    /// <summary>Height of the belt (frame rows).</summary>
    public int Height { get; }
    /// <summary>Rows at the top covered by the guide rail.</summary>
    public int RailRows { get; }
    /// <summary>Per-frame sensor noise amplitude (± gray levels).</summary>
    public int SensorNoise { get; }

    public BeltTexture(int height, int seed, byte level = 52, int streak = 7, int grain = 3, int railRows = 14, int sensorNoise = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(streak);
        ArgumentOutOfRangeException.ThrowIfNegative(grain);
        ArgumentOutOfRangeException.ThrowIfNegative(sensorNoise);
        if (railRows < 0 || railRows >= height) throw new ArgumentOutOfRangeException(nameof(railRows), railRows, $"the rail must leave belt rows (height {height})");
        (Height, Level, RailRows, SensorNoise) = (height, level, railRows, sensorNoise);
        var rng = new Random(seed);
        // Streaks: a smooth level per row (a few sine waves with random phases).
        var rowLevel = new int[height];
        double p1 = rng.NextDouble() * 6.3, p2 = rng.NextDouble() * 6.3, p3 = rng.NextDouble() * 6.3;
        for (int y = 0; y < height; y++)
            rowLevel[y] = level + (int)Math.Round(streak * (0.5 * Math.Sin(y / 9.0 + p1) + 0.3 * Math.Sin(y / 3.7 + p2) + 0.2 * Math.Sin(y / 23.0 + p3)));
        _texture = new byte[Period * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < Period; x++)
                _texture[y * Period + x] = Clamp(rowLevel[y] + rng.Next(-grain, grain + 1));
        // Splice seams: two darker columns every 300-500 px of belt.
        for (int x = rng.Next(100, 300); x + 1 < Period; x += rng.Next(300, 500))
            for (int y = 0; y < height; y++)
                for (int dx = 0; dx < 2; dx++) _texture[y * Period + x + dx] = Clamp(_texture[y * Period + x + dx] - 14);
        // Dust specks that ride on the belt.
        for (int i = 0; i < 40; i++)
        {
            int cx = rng.Next(Period), cy = rng.Next(railRows, height);
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++)
                    if (cy + dy < height) _texture[(cy + dy) * Period + ((cx + dx) & (Period - 1))] = Clamp(level + 60);
        }
        _rail = new byte[railRows];
        for (int y = 0; y < railRows; y++) _rail[y] = Clamp(140 + 25 * Math.Sin(Math.PI * (y + 0.5) / railRows) - 20);
        _noise = (uint)seed * 2654435761u | 1;
    }

    /// <summary>Draws the belt into <paramref name="frame"/> (Rgb24/Bgr24/Gray8), the belt moved by <paramref name="travel"/> pixels towards larger x.</summary>
    public void Render(ImageBuffer frame, long travel)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Height != Height) throw new ArgumentException($"the frame is {frame.Height} rows high, the belt {Height}", nameof(frame));
        int bpp = frame.BytesPerPixel;
        if (bpp is not (1 or 3)) throw new ArgumentException($"pixel format {frame.Format} is not supported by the belt simulator (Gray8, Rgb24, Bgr24)", nameof(frame));
        int shift = (int)(((travel % Period) + Period) % Period);
        uint s = _noise;
        for (int y = 0; y < Height; y++)
        {
            var row = frame.Row(y);
            int texRow = y * Period;
            for (int x = 0, o = 0; x < frame.Width; x++, o += bpp)
            {
                int v = y < RailRows ? _rail[y] : _texture[texRow + ((x - shift) & (Period - 1))];
                if (SensorNoise > 0)
                {
                    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
                    v += (int)(s % (uint)(2 * SensorNoise + 1)) - SensorNoise;
                }
                byte b = Clamp(v);
                row[o] = b;
                if (bpp == 3) { row[o + 1] = b; row[o + 2] = b; }
            }
        }
        _noise = s;
    }

    private static byte Clamp(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);
    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
