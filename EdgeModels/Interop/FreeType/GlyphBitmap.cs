namespace Edge.Models.Interop.FreeType;

/// <summary>
/// A rendered glyph copied out of FreeType: 8-bit coverage, <see cref="Width"/> bytes a row.
/// <see cref="Left"/>/<see cref="Top"/> place it relative to the pen on the baseline (y up, as FreeType gives it).
/// </summary>
internal sealed record GlyphBitmap(int Width, int Height, int Left, int Top, int Advance64, byte[] Coverage);
