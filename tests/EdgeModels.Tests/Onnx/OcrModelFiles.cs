using Edge.Models;

namespace Edge.Models.Tests.Onnx;

/// <summary>The PP-OCR models scripts/setup fetched; tests use the real files.</summary>
internal static class OcrModelFiles
{
    public static string Det => Path.Combine(EdgePaths.OcrModelDirectory, "ch_PP-OCRv4_det_infer.onnx");
    public static string Rec => Path.Combine(EdgePaths.OcrModelDirectory, "ch_PP-OCRv4_rec_infer.onnx");
    public static string Cls => Path.Combine(EdgePaths.OcrModelDirectory, "ch_ppocr_mobile_v2.0_cls_infer.onnx");
}
