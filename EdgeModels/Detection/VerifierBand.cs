using System.Globalization;

namespace Edge.Models.Detection;

/// <summary>
/// Where a <see cref="DetectionVerifier"/> decides: detections of its class scoring from <see cref="From"/> (up to
/// <see cref="To"/>, when set) are looked at, and count when verified at least <see cref="Min"/>; with <see cref="To"/>
/// they count only so, even above their class's threshold (the second look vetoes as well). A verifier file carries one in
/// its <c>band</c> metadata; a line may set another (its <c>verifierBand</c> key, <c>edge inspect --verifier-band</c>).
/// </summary>
public readonly record struct VerifierBand(float From, float? To, float Min)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="source"/> when a value is outside 0..1 or <see cref="To"/> is not above <see cref="From"/>.</summary>
    public void Validate(string source)
    {
        static bool Unit(float v) => v is >= 0 and <= 1;
        if (!Unit(From) || !Unit(Min) || To is { } t && (!Unit(t) || t <= From))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: {this}: from and min must be 0..1, and to (when set) above from and at most 1"));
    }

    /// <summary>
    /// Reads <c>FROM:MIN</c> (the verifier confirms boxes from FROM up) or <c>FROM:TO:MIN</c> (it decides alone from FROM up to
    /// TO), e.g. <c>0.45:0.32</c> or <c>0.45:0.85:0.37</c>.
    /// </summary>
    /// <exception cref="ArgumentException">not two or three numbers 0..1, or TO not above FROM; the message names <paramref name="source"/>.</exception>
    public static VerifierBand Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new List<float>(3);
        foreach (var part in text.Split(':'))
        {
            if (!float.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
            {
                values.Clear();
                break;
            }
            values.Add(v);
        }
        if (values.Count is not (2 or 3))
            throw new ArgumentException($"{source} = '{text}': expected FROM:MIN or FROM:TO:MIN, numbers 0..1 (e.g. 0.45:0.32, or 0.45:0.85:0.37)");
        var band = values.Count == 2 ? new VerifierBand(values[0], null, values[1]) : new VerifierBand(values[0], values[1], values[2]);
        band.Validate(source);
        return band;
    }

    public override string ToString() => To is { } t
        ? string.Create(CultureInfo.InvariantCulture, $"{{from: {From}, to: {t}, min: {Min}}}")
        : string.Create(CultureInfo.InvariantCulture, $"{{from: {From}, min: {Min}}}");
}
