using Edge.Models.Detection;

namespace Edge.Models.Tests.Detection;

public class DetectionDecoderTests
{
    private static readonly ScoreThresholds Quarter = new(0.25f);

    /// <summary>Seeded boxes in a 640 input: cx, cy in 0..640, w, h in 8..200, scores in 0..1.</summary>
    private static float[][] RandomRows(int boxes, int scoresPerBox, int seed)
    {
        var random = new Random(seed);
        var rows = new float[boxes][];
        for (int n = 0; n < boxes; n++)
        {
            rows[n] = new float[4 + scoresPerBox];
            rows[n][0] = random.NextSingle() * 640; rows[n][1] = random.NextSingle() * 640;
            rows[n][2] = 8 + random.NextSingle() * 192; rows[n][3] = 8 + random.NextSingle() * 192;
            for (int c = 0; c < scoresPerBox; c++) rows[n][4 + c] = random.NextSingle();
        }
        return rows;
    }

    private static float[] ChannelsFirst(float[][] rows)
    {
        int n = rows.Length, k = rows[0].Length;
        var data = new float[n * k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) data[c * n + i] = rows[i][c];
        return data;
    }

    private static BoxCandidate Corners(float cx, float cy, float w, float h, float score, int cls, int index) =>
        new(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, cls, index);

    [Fact]
    public void YoloV8_channels_first_output_gives_each_box_its_best_class_with_exact_corners()
    {
        var rows = RandomRows(boxes: 40, scoresPerBox: 3, seed: 1);
        rows[7][4] = 0.9f; rows[7][5] = 0.9f; rows[7][6] = 0.1f; // a tie goes to the first class
        var expected = new List<BoxCandidate>();
        for (int n = 0; n < rows.Length; n++)
        {
            var r = rows[n];
            int best = 0;
            for (int c = 1; c < 3; c++) if (r[4 + c] > r[4 + best]) best = c;
            if (r[4 + best] > 0.25f) expected.Add(Corners(r[0], r[1], r[2], r[3], r[4 + best], best, n));
        }
        var got = new List<BoxCandidate>();

        DetectionDecoders.YoloV8(ChannelsFirst(rows), channels: 7, boxes: 40, channelsFirst: true, Quarter, got);

        Assert.Equal(expected, got);
        Assert.Contains(got, c => c.Index == 7 && c.ClassId == 0 && c.Score == 0.9f);
        Assert.InRange(got.Count, 20, 39); // the data exercises both keep and drop
    }

    [Fact]
    public void YoloV8_transposed_output_decodes_to_the_same_candidates()
    {
        var rows = RandomRows(boxes: 33, scoresPerBox: 5, seed: 2);
        var first = new List<BoxCandidate>();
        var transposed = new List<BoxCandidate>();

        DetectionDecoders.YoloV8(ChannelsFirst(rows), 9, 33, channelsFirst: true, Quarter, first);
        DetectionDecoders.YoloV8(rows.SelectMany(r => r).ToArray(), 9, 33, channelsFirst: false, Quarter, transposed);

        Assert.NotEmpty(first);
        Assert.Equal(first, transposed);
    }

    [Fact]
    public void YoloV5_scores_are_objectness_times_class_and_low_objectness_is_dropped_first()
    {
        var rows = RandomRows(boxes: 50, scoresPerBox: 1 + 4, seed: 3); // objectness + 4 classes
        rows[0][4] = 0.2f; rows[0][5] = 1f;                                          // objectness at 0.2: dropped before the classes are looked at
        rows[1][4] = 0.3f; rows[1][5] = 0.9f; rows[1][6] = 0.95f; rows[1][7] = rows[1][8] = 0.1f; // 0.3×0.95 = 0.285: kept as class 1
        var expected = new List<BoxCandidate>();
        for (int n = 0; n < rows.Length; n++)
        {
            var r = rows[n];
            float obj = r[4];
            if (!(obj > 0.25f)) continue;
            int best = 0;
            for (int c = 1; c < 4; c++) if (r[5 + c] * obj > r[5 + best] * obj) best = c;
            float score = r[5 + best] * obj;
            if (score > 0.25f) expected.Add(Corners(r[0], r[1], r[2], r[3], score, best, n));
        }
        var got = new List<BoxCandidate>();

        DetectionDecoders.YoloV5(rows.SelectMany(r => r).ToArray(), channels: 9, boxes: 50, Quarter, got);

        Assert.Equal(expected, got);
        Assert.DoesNotContain(got, c => c.Index == 0);
        Assert.Contains(got, c => c.Index == 1 && c.ClassId == 1 && c.Score == 0.3f * 0.95f);
    }

    [Fact]
    public void A_raw_YoloV5_head_is_decoded_with_sigmoid_grid_offsets_and_anchors()
    {
        const int na = 3, h = 2, w = 3, k = 7, stride = 16; // 2 classes
        var random = new Random(4);
        var data = new float[na * h * w * k];
        for (int i = 0; i < data.Length; i++) data[i] = random.NextSingle() * 8 - 4;
        float[] anchors = [30, 61, 62, 45, 59, 119];
        static float S(float v) => 1f / (1f + MathF.Exp(-v));
        var expected = new List<BoxCandidate>();
        int index = 100;
        for (int a = 0; a < na; a++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++, index++)
        {
            int o = ((a * h + y) * w + x) * k;
            float obj = S(data[o + 4]);
            if (!(obj > 0.25f)) continue;
            float s0 = S(data[o + 5]) * obj, s1 = S(data[o + 6]) * obj;
            int best = s1 > s0 ? 1 : 0;
            float score = best == 1 ? s1 : s0;
            if (!(score > 0.25f)) continue;
            float cx = (S(data[o]) * 2f + (x - 0.5f)) * stride, cy = (S(data[o + 1]) * 2f + (y - 0.5f)) * stride;
            float bw = S(data[o + 2]) * 2f, bh = S(data[o + 3]) * 2f;
            expected.Add(Corners(cx, cy, bw * bw * anchors[2 * a], bh * bh * anchors[2 * a + 1], score, best, index));
        }
        var got = new List<BoxCandidate>();

        int next = DetectionDecoders.YoloV5Head(data, na, h, w, k, stride, anchors, Quarter, got, firstIndex: 100);

        Assert.Equal(100 + na * h * w, next);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void Paddle_boxes_and_scores_give_one_candidate_per_class_above_its_threshold()
    {
        // 3 boxes, 2 classes; scores are [C, N].
        float[] boxes = [10, 20, 110, 220, 5, 5, 50, 50, 300, 300, 400, 420];
        float[] scores = [0.9f, 0.1f, 0.3f, /* class 1: */ 0.5f, 0.25f, 0.6f];
        var got = new List<BoxCandidate>();

        DetectionDecoders.PaddleBoxesScores(boxes, scores, classes: 2, count: 3, Quarter, got);

        Assert.Equal(
        [
            new BoxCandidate(10, 20, 110, 220, 0.9f, 0, 0),
            new BoxCandidate(300, 300, 400, 420, 0.3f, 0, 2),
            new BoxCandidate(10, 20, 110, 220, 0.5f, 1, 3),
            new BoxCandidate(300, 300, 400, 420, 0.6f, 1, 5), // 0.25 is not above 0.25
        ], got);
    }

    [Fact]
    public void Paddle_nms_rows_are_read_up_to_the_count_skipping_the_empty_marker_row()
    {
        float[] rows =
        [
            2, 0.8f, 1, 2, 3, 4,
            -1, 0, 0, 0, 0, 0,
            0, 0.2f, 5, 6, 7, 8,
            1, 0.7f, 9, 9, 19, 19, // beyond the count
        ];
        var got = new List<BoxCandidate>();

        DetectionDecoders.PaddleNms(rows, valid: 3, Quarter, got);

        Assert.Equal([new BoxCandidate(1, 2, 3, 4, 0.8f, 2, 0)], got);
    }

    [Fact]
    public void Per_class_thresholds_override_the_default_for_their_class_only()
    {
        var thresholds = new ScoreThresholds(0.5f, new Dictionary<int, float> { [1] = 0.1f, [3] = 0.9f });
        float[] boxes = [0, 0, 1, 1];
        float[] scores = [0.3f, 0.3f, 0.6f, 0.6f, 0.3f]; // classes 0..4, one box
        var got = new List<BoxCandidate>();

        DetectionDecoders.PaddleBoxesScores(boxes, scores, classes: 5, count: 1, thresholds, got);

        Assert.Equal([1, 2], got.Select(c => c.ClassId));
        Assert.Equal(0.1f, thresholds.Minimum);
        Assert.Equal(0.5f, thresholds.For(17));
    }

    [Fact]
    public void An_output_whose_size_does_not_match_its_shape_is_reported()
    {
        var e = Assert.Throws<InvalidDataException>(() => DetectionDecoders.YoloV8(new float[10], 6, 2, true, Quarter, new List<BoxCandidate>()));
        Assert.Contains("12", e.Message);
    }
}
