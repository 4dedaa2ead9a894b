using Edge.Models.Onnx;

namespace Edge.Models.Ocr;

/// <summary>How a tall text column is laid out for the recogniser.</summary>
public enum VerticalTextMode
{
    /// <summary>Turn the column a quarter counter-clockwise, as PaddleOCR does (its v4 recogniser reads the result in natural order).</summary>
    Rotate,
    /// <summary>Cut the column into square character cells and lay them side by side, upright.</summary>
    Cells,
}

/// <summary>OCR settings; defaults follow PaddleOCR's inference defaults for PP-OCRv4.</summary>
public sealed record OcrOptions
{
    /// <summary>The detector sees the image scaled so its longer side is at most this (multiples of 32).</summary>
    public int DetLimitSide { get; init; } = 960;
    public float DetThreshold { get; init; } = 0.3f;
    public float DetBoxThreshold { get; init; } = 0.6f;
    /// <summary>
    /// How far a detected text kernel is grown back into a box. PaddleOCR 2.x used 1.5; 2.0 (PaddleOCR
    /// 3's value) keeps the gaps between English words inside the crop, and the recogniser then
    /// reads the spaces (measured on the rendered set: same CER; of the 17 lines with spaces, 15 read
    /// exactly, spaces included, against 7 with 1.5).
    /// </summary>
    public float DetUnclipRatio { get; init; } = 2.0f;
    public int DetMaxCandidates { get; init; } = 1000;

    /// <summary>Run the 0°/180° direction classifier on every region (needed to read upside-down text).</summary>
    public bool UseDirectionClassifier { get; init; } = true;
    public float ClsThreshold { get; init; } = 0.9f;
    public int ClsBatchSize { get; init; } = 6;

    public int RecBatchSize { get; init; } = 6;
    /// <summary>Narrowest recogniser input; PaddleOCR pads every line to at least 320.</summary>
    public int RecMinWidth { get; init; } = 320;
    /// <summary>Widest recogniser input; longer lines are squeezed to fit.</summary>
    public int RecMaxWidth { get; init; } = 3200;
    /// <summary>Lines read with a lower mean confidence are dropped.</summary>
    public float DropScore { get; init; } = 0.5f;

    /// <summary>A region this many times taller than wide is read as a vertical column.</summary>
    public float VerticalAspect { get; init; } = 1.5f;
    public VerticalTextMode VerticalMode { get; init; } = VerticalTextMode.Rotate;

    public OnnxSessionConfig Session { get; init; } = OnnxSessionConfig.Default;

    public static OcrOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and the bad value.</summary>
    public void Validate()
    {
        Check(DetLimitSide >= 32 && DetLimitSide <= 8192, nameof(DetLimitSide), DetLimitSide, "32..8192");
        Check(DetThreshold is > 0 and < 1, nameof(DetThreshold), DetThreshold, "between 0 and 1");
        Check(DetBoxThreshold is > 0 and < 1, nameof(DetBoxThreshold), DetBoxThreshold, "between 0 and 1");
        Check(DetUnclipRatio is >= 0 and <= 10, nameof(DetUnclipRatio), DetUnclipRatio, "0..10");
        Check(DetMaxCandidates > 0, nameof(DetMaxCandidates), DetMaxCandidates, "> 0");
        Check(ClsThreshold is >= 0 and <= 1, nameof(ClsThreshold), ClsThreshold, "0..1");
        Check(ClsBatchSize is >= 1 and <= 64, nameof(ClsBatchSize), ClsBatchSize, "1..64");
        Check(RecBatchSize is >= 1 and <= 64, nameof(RecBatchSize), RecBatchSize, "1..64");
        Check(RecMinWidth is >= 8 and <= 4096, nameof(RecMinWidth), RecMinWidth, "8..4096");
        Check(RecMaxWidth >= RecMinWidth && RecMaxWidth <= 8192, nameof(RecMaxWidth), RecMaxWidth, $"{RecMinWidth}..8192");
        Check(DropScore is >= 0 and <= 1, nameof(DropScore), DropScore, "0..1");
        Check(VerticalAspect > 1, nameof(VerticalAspect), VerticalAspect, "> 1");
        Session.Validate();
    }

    private static void Check(bool ok, string name, object value, string allowed)
    {
        if (!ok) throw new ArgumentException($"OCR option {name} = {value} is out of range (allowed: {allowed})", name);
    }
}
