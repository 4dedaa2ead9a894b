using Edge.Models.Imaging;

namespace Edge.Models.Synthetic;

/// <summary>How a sample's text is laid out and photographed.</summary>
public enum SampleKind
{
    /// <summary>A flat, upright card with horizontal lines.</summary>
    Horizontal,

    /// <summary>A card lying on a table, turned by up to ±18°.</summary>
    Rotated,

    /// <summary>A card turned about 180°, as a guest hands it over the wrong way up.</summary>
    UpsideDown,

    /// <summary>Vertical CJK columns: a two-column couplet or a single column.</summary>
    Vertical,

    /// <summary>A card photographed at an angle (its corners moved by up to ~8% of its size).</summary>
    Perspective,
}

/// <summary>One line of ground truth: a horizontal line, or one vertical column.</summary>
public sealed record SampleLine(string Text, bool Vertical);

/// <summary>
/// One synthetic OCR sample with its ground truth.
/// <para>
/// <see cref="Lines"/> are in reading order, one entry per line or column as PP-OCR should report
/// them: horizontal lines top to bottom (each read left to right); vertical columns in the order
/// a reader reads them, right column first, so a couplet gives its 上联 (right) and then its 下联
/// (left). For rotated, upside-down and perspective samples the order is that of the card itself,
/// before it was turned or photographed. Text is what was drawn, spaces included.
/// </para>
/// <para>
/// When <see cref="JpegQuality"/> is set, the consumer should JPEG-encode and decode
/// <see cref="Image"/> at that quality before reading it (the codec lives outside this folder).
/// </para>
/// Disposing the sample returns <see cref="Image"/>'s pooled buffer.
/// </summary>
public sealed record OcrSample(string Name, SampleKind Kind, IReadOnlyList<SampleLine> Lines, ImageBuffer Image, int? JpegQuality) : IDisposable
{
    public void Dispose() => Image.Dispose();
}
