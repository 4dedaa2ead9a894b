namespace Edge.Models.Ocr;

/// <summary>The files of one PP-OCR model set: detector, direction classifier, recogniser, dictionary.</summary>
public sealed record OcrModelSet(string DetectorPath, string ClassifierPath, string RecognizerPath, string DictionaryPath)
{
    public const string DetectorFile = "ch_PP-OCRv4_det_infer.onnx";
    public const string ClassifierFile = "ch_ppocr_mobile_v2.0_cls_infer.onnx";
    public const string RecognizerFile = "ch_PP-OCRv4_rec_infer.onnx";
    public const string DictionaryFile = "ppocr_keys_v1.txt";

    /// <summary>The model set in a folder laid out as set-up leaves it.</summary>
    public static OcrModelSet FromDirectory(string directory) => new(
        Path.Combine(directory, DetectorFile), Path.Combine(directory, ClassifierFile),
        Path.Combine(directory, RecognizerFile), Path.Combine(directory, DictionaryFile));

    /// <summary>The PP-OCRv4 set that <c>scripts/setup</c> fetched into the cache.</summary>
    public static OcrModelSet Default => FromDirectory(EdgePaths.OcrModelDirectory);

    /// <summary>Throws <see cref="FileNotFoundException"/> naming the first missing file and the fix.</summary>
    public void EnsureExists()
    {
        foreach (var path in new[] { DetectorPath, ClassifierPath, RecognizerPath, DictionaryPath })
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"OCR model file not found: {path}. Run scripts/setup to fetch the PP-OCR models, or point --models at a folder holding {DetectorFile}, {ClassifierFile}, {RecognizerFile} and {DictionaryFile}.", path);
        }
    }
}
