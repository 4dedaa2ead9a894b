using System.Runtime.CompilerServices;

namespace Edge.Models.Ocr;

public readonly record struct PointF(float X, float Y)
{
    public static PointF operator +(PointF a, PointF b) => new(a.X + b.X, a.Y + b.Y);
    public static PointF operator -(PointF a, PointF b) => new(a.X - b.X, a.Y - b.Y);
    public static PointF operator *(PointF a, float s) => new(a.X * s, a.Y * s);
    public float Length => MathF.Sqrt(X * X + Y * Y);
    public override string ToString() => $"({X:0.#},{Y:0.#})";
}

/// <summary>
/// A text region: four corners clockwise from the top-left of the text as it is read.
/// Turning the text is a rotation of the corner order, so upside-down and vertical text never
/// need an image rotated: the sampler reads the region in whatever order the corners say.
/// </summary>
public readonly record struct Quad(PointF P0, PointF P1, PointF P2, PointF P3)
{
    /// <summary>Width along the reading direction, as PaddleOCR's crop measures it.</summary>
    public float Width => MathF.Max((P1 - P0).Length, (P2 - P3).Length);

    /// <summary>Height across the reading direction.</summary>
    public float Height => MathF.Max((P3 - P0).Length, (P2 - P1).Length);

    /// <summary>The same region read after turning it a quarter counter-clockwise (a tall column laid on its side).</summary>
    public Quad RotatedCounterClockwise => new(P1, P2, P3, P0);

    /// <summary>Undoes <see cref="RotatedCounterClockwise"/>.</summary>
    public Quad RotatedClockwise => new(P3, P0, P1, P2);

    /// <summary>The part of the region between fractions <paramref name="from"/> and <paramref name="to"/> of its height (top to bottom).</summary>
    public Quad SliceDown(float from, float to)
    {
        PointF p0 = P0, p1 = P1, p2 = P2, p3 = P3;
        return new Quad(p0 + (p3 - p0) * from, p1 + (p2 - p1) * from, p1 + (p2 - p1) * to, p0 + (p3 - p0) * to);
    }

    /// <summary>The same region read upside down.</summary>
    public Quad Rotated180 => new(P2, P3, P0, P1);

    public PointF Center => new((P0.X + P1.X + P2.X + P3.X) * 0.25f, (P0.Y + P1.Y + P2.Y + P3.Y) * 0.25f);

    public float MinX => MathF.Min(MathF.Min(P0.X, P1.X), MathF.Min(P2.X, P3.X));
    public float MaxX => MathF.Max(MathF.Max(P0.X, P1.X), MathF.Max(P2.X, P3.X));
    public float MinY => MathF.Min(MathF.Min(P0.Y, P1.Y), MathF.Min(P2.Y, P3.Y));
    public float MaxY => MathF.Max(MathF.Max(P0.Y, P1.Y), MathF.Max(P2.Y, P3.Y));

    public PointF this[int i] => (i & 3) switch { 0 => P0, 1 => P1, 2 => P2, _ => P3 };

    public override string ToString() => $"[{P0} {P1} {P2} {P3}]";
}
