namespace Edge.Models.Ocr;

/// <summary>Character error rate of recognised lines against the expected lines of an image.</summary>
public static class OcrAccuracy
{
    /// <summary>
    /// Pairs each expected line with the recognised line closest to it (greedy, each used once) and
    /// counts edit operations; unmatched expected lines count as deletions, unmatched recognised lines
    /// as insertions. Whitespace is ignored (CJK text has none, and line spacing is not text).
    /// Order does not matter here: reading order is checked separately.
    /// </summary>
    public static (int Errors, int ReferenceChars) Score(IReadOnlyList<string> expected, IReadOnlyList<string> recognized)
    {
        var exp = expected.Select(Normalize).ToArray();
        var rec = recognized.Select(Normalize).Where(s => s.Length > 0).ToArray();
        var pairs = new List<(double Cost, int E, int R, int D)>();
        for (int e = 0; e < exp.Length; e++)
            for (int r = 0; r < rec.Length; r++)
            {
                int d = EditDistance(exp[e], rec[r]);
                pairs.Add(((double)d / Math.Max(exp[e].Length, 1), e, r, d));
            }
        pairs.Sort((a, b) => a.Cost.CompareTo(b.Cost));
        var usedE = new bool[exp.Length];
        var usedR = new bool[rec.Length];
        int errors = 0;
        foreach (var (cost, e, r, d) in pairs)
        {
            if (usedE[e] || usedR[r] || cost >= 1) continue;
            usedE[e] = usedR[r] = true;
            errors += d;
        }
        for (int e = 0; e < exp.Length; e++) if (!usedE[e]) errors += exp[e].Length;
        for (int r = 0; r < rec.Length; r++) if (!usedR[r]) errors += rec[r].Length;
        return (errors, exp.Sum(s => s.Length));
    }

    public static string Normalize(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));

    /// <summary>Levenshtein distance over UTF-16 code units (the dictionary is all BMP).</summary>
    public static int EditDistance(string a, string b)
    {
        if (a.Length == 0) return b.Length;
        if (b.Length == 0) return a.Length;
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                cur[j] = Math.Min(sub, Math.Min(prev[j] + 1, cur[j - 1] + 1));
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
