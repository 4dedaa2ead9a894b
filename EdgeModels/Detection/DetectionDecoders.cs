using Edge.Models.Imaging;
using System.Buffers;

namespace Edge.Models.Detection;

/// <summary>
/// Turns raw detector outputs into <see cref="BoxCandidate"/>s (corner boxes, before NMS), one method per
/// layout. The arithmetic follows the reference post-processing step for step (Ultralytics' xywh2xyxy and
/// non_max_suppression filters, YOLOv5's Detect head, PaddleDetection's multiclass NMS inputs), so the same
/// floats come out. Candidates are appended; nothing is allocated once pooled scratch is warm.
/// </summary>
public static class DetectionDecoders
{
    /// <summary>The YOLOv5 anchors (w,h pairs in input pixels) for strides 8, 16 and 32.</summary>
    public static ReadOnlySpan<float> DefaultYoloV5Anchors => [10, 13, 16, 30, 33, 23, 30, 61, 62, 45, 59, 119, 116, 90, 156, 198, 373, 326];

    /// <summary>
    /// YOLOv8/YOLO11 (anchor-free): per box cx, cy, w, h then one score per class, no objectness.
    /// <paramref name="channelsFirst"/>: the export's <c>[1, 4+C, N]</c>; otherwise <c>[1, N, 4+C]</c>.
    /// Each box gets its best class (the first on a tie) and is kept when that score is above the class's threshold.
    /// </summary>
    public static void YoloV8(ReadOnlySpan<float> output, int channels, int boxes, bool channelsFirst, ScoreThresholds thresholds, List<BoxCandidate> into)
    {
        int classes = channels - 4;
        CheckSize(output, channels, boxes, classes, minChannels: 5, "YOLOv8");
        if (!channelsFirst)
        {
            for (int n = 0; n < boxes; n++)
            {
                var row = output.Slice(n * channels, channels);
                int best = ArgMax(row[4..], out float score);
                if (score > thresholds.For(best)) Add(into, row[0], row[1], row[2], row[3], score, best, n);
            }
            return;
        }
        // Channels first: sweep class rows in memory order, keeping each box's best so far.
        float[] bestScore = ScratchPool<float>.Shared.Rent(boxes);
        int[] bestClass = ScratchPool<int>.Shared.Rent(boxes);
        try
        {
            output.Slice(4 * boxes, boxes).CopyTo(bestScore);
            bestClass.AsSpan(0, boxes).Clear();
            for (int c = 1; c < classes; c++)
            {
                var row = output.Slice((4 + c) * boxes, boxes);
                for (int n = 0; n < row.Length; n++)
                {
                    if (row[n] > bestScore[n])
                    {
                        bestScore[n] = row[n];
                        bestClass[n] = c;
                    }
                }
            }
            for (int n = 0; n < boxes; n++)
            {
                float score = bestScore[n];
                if (!(score > thresholds.For(bestClass[n]))) continue;
                Add(into, output[n], output[boxes + n], output[2 * boxes + n], output[3 * boxes + n], score, bestClass[n], n);
            }
        }
        finally
        {
            ScratchPool<float>.Shared.Return(bestScore);
            ScratchPool<int>.Shared.Return(bestClass);
        }
    }

    /// <summary>
    /// YOLOv5 with the Detect head in the graph: <c>[1, N, 5+C]</c> rows of cx, cy, w, h, objectness, class
    /// scores. As YOLOv5's NMS: boxes with objectness at or below the lowest threshold are dropped, class
    /// scores are multiplied by objectness, the best product (first on a tie) is the box's score.
    /// </summary>
    public static void YoloV5(ReadOnlySpan<float> output, int channels, int boxes, ScoreThresholds thresholds, List<BoxCandidate> into)
    {
        int classes = channels - 5;
        CheckSize(output, channels, boxes, classes, minChannels: 6, "YOLOv5");
        for (int n = 0; n < boxes; n++)
        {
            var row = output.Slice(n * channels, channels);
            float obj = row[4];
            if (!(obj > thresholds.Minimum)) continue;
            int best = 0;
            float score = row[5] * obj;
            for (int c = 1; c < classes; c++)
            {
                float s = row[5 + c] * obj;
                if (s > score) (best, score) = (c, s);
            }
            if (score > thresholds.For(best)) Add(into, row[0], row[1], row[2], row[3], score, best, n);
        }
    }

    /// <summary>
    /// One raw YOLOv5 head, <c>[1, A, H, W, 5+C]</c> logits, decoded as YOLOv5's Detect does:
    /// s = sigmoid(v); xy = (2·s + grid − 0.5)·stride; wh = (2·s)²·anchor; score = sigmoid(cls)·sigmoid(obj).
    /// <paramref name="anchors"/> holds A (w,h) pairs in input pixels. Indices continue from <paramref name="firstIndex"/>;
    /// returns the index after this head's last cell.
    /// </summary>
    public static int YoloV5Head(ReadOnlySpan<float> output, int anchorCount, int height, int width, int channels, int stride,
        ReadOnlySpan<float> anchors, ScoreThresholds thresholds, List<BoxCandidate> into, int firstIndex = 0)
    {
        int classes = channels - 5;
        if (classes < 1) throw new InvalidDataException($"YOLOv5 head has {channels} values per cell; expected 5 + at least one class");
        if (anchors.Length != 2 * anchorCount) throw new ArgumentException($"{anchorCount} anchors need {2 * anchorCount} values, given {anchors.Length}", nameof(anchors));
        long need = (long)anchorCount * height * width * channels;
        if (output.Length != need) throw new InvalidDataException($"YOLOv5 head [1,{anchorCount},{height},{width},{channels}] needs {need} values, the output has {output.Length}");
        int index = firstIndex;
        for (int a = 0; a < anchorCount; a++)
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++, index++)
        {
            var row = output.Slice(((a * height + y) * width + x) * channels, channels);
            float obj = Sigmoid(row[4]);
            if (!(obj > thresholds.Minimum)) continue;
            int best = 0;
            float score = Sigmoid(row[5]) * obj;
            for (int c = 1; c < classes; c++)
            {
                float s = Sigmoid(row[5 + c]) * obj;
                if (s > score) (best, score) = (c, s);
            }
            if (!(score > thresholds.For(best))) continue;
            float cx = (Sigmoid(row[0]) * 2f + (x - 0.5f)) * stride;
            float cy = (Sigmoid(row[1]) * 2f + (y - 0.5f)) * stride;
            float w = Sigmoid(row[2]) * 2f, h = Sigmoid(row[3]) * 2f;
            w = w * w * anchors[2 * a];
            h = h * h * anchors[2 * a + 1];
            Add(into, cx, cy, w, h, score, best, index);
        }
        return index;
    }

    /// <summary>
    /// PP-YOLOE / PicoDet without NMS: <paramref name="boxes"/> <c>[1, N, 4]</c> corners and
    /// <paramref name="scores"/> <c>[1, C, N]</c>. Multi-label, as PaddleDetection's multiclass NMS: every
    /// (box, class) scoring above the class's threshold is a candidate, indexed class-major (c·N + n).
    /// </summary>
    public static void PaddleBoxesScores(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, int classes, int count, ScoreThresholds thresholds, List<BoxCandidate> into)
    {
        if (boxes.Length != 4 * count) throw new InvalidDataException($"boxes output holds {boxes.Length} values; {count} boxes need {4 * count}");
        if (scores.Length != classes * count) throw new InvalidDataException($"scores output holds {scores.Length} values; {classes} classes x {count} boxes need {classes * count}");
        for (int c = 0; c < classes; c++)
        {
            float threshold = thresholds.For(c);
            var row = scores.Slice(c * count, count);
            for (int n = 0; n < count; n++)
            {
                float s = row[n];
                if (!(s > threshold)) continue;
                into.Add(new BoxCandidate(boxes[4 * n], boxes[4 * n + 1], boxes[4 * n + 2], boxes[4 * n + 3], s, c, c * count + n));
            }
        }
    }

    /// <summary>
    /// PaddleDetection exported with NMS: <c>[M, 6]</c> rows of class, score, x1, y1, x2, y2, of which the
    /// first <paramref name="valid"/> count (the model's second output; -1 = all). Rows with a negative class
    /// (Paddle's "nothing found" row) or a score at or below the class's threshold are skipped.
    /// </summary>
    public static void PaddleNms(ReadOnlySpan<float> rows, int valid, ScoreThresholds thresholds, List<BoxCandidate> into)
    {
        if (rows.Length % 6 != 0) throw new InvalidDataException($"NMS output holds {rows.Length} values, not rows of 6 (class, score, x1, y1, x2, y2)");
        int m = rows.Length / 6;
        if (valid >= 0) m = Math.Min(m, valid);
        for (int i = 0; i < m; i++)
        {
            var row = rows.Slice(6 * i, 6);
            if (!(row[0] >= 0)) continue;
            int c = (int)row[0];
            if (!(row[1] > thresholds.For(c))) continue;
            into.Add(new BoxCandidate(row[2], row[3], row[4], row[5], row[1], c, i));
        }
    }

    /// <summary>The logistic function as torch computes it in float: 1 / (1 + e^-x).</summary>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>Index of the largest value (the first on a tie) and the value.</summary>
    private static int ArgMax(ReadOnlySpan<float> values, out float max)
    {
        int best = 0;
        max = values[0];
        for (int i = 1; i < values.Length; i++)
            if (values[i] > max) (best, max) = (i, values[i]);
        return best;
    }

    /// <summary>Centre/size to corners as Ultralytics' xywh2xyxy: half sizes subtracted and added.</summary>
    private static void Add(List<BoxCandidate> into, float cx, float cy, float w, float h, float score, int classId, int index)
    {
        float dw = w / 2, dh = h / 2;
        into.Add(new BoxCandidate(cx - dw, cy - dh, cx + dw, cy + dh, score, classId, index));
    }

    private static void CheckSize(ReadOnlySpan<float> output, int channels, int boxes, int classes, int minChannels, string layout)
    {
        if (channels < minChannels || classes < 1)
            throw new InvalidDataException($"{layout} output has {channels} values per box; expected at least {minChannels}");
        if (boxes < 0 || output.Length != (long)channels * boxes)
            throw new InvalidDataException($"{layout} output holds {output.Length} values; {boxes} boxes of {channels} need {(long)channels * boxes}");
    }
}
