using Edge.Models.Detection;
using Edge.Models.Imaging;
using Edge.Models.Onnx;
using Edge.Models.Tests.Onnx;
using Edge.Models.Tests.Support;

namespace Edge.Models.Tests.Detection;

using Detection = Edge.Models.Detection.Detection;

/// <summary>
/// The second look: the crop against the training code's arithmetic, the verifier's contract, and the verifier run by
/// <see cref="ObjectDetector.DetectInto"/> on the detector's own input, with crafted models through the real ONNX Runtime
/// and with the shipped defect model and its verifier on a held-out image.
/// </summary>
public sealed class DetectionVerifierTests : IDisposable
{
    private const int F = OnnxModelBuilder.Float;
    private static readonly string[] Labels = ["scratch", "dent"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// The training code's crop (<c>EdgeModels/training/verifier.py</c>, <c>crop</c>) written out element by element:
    /// centre floor((x1 + x2) / 2), origin centre − size/2, pixels inside the input else 114/255, the box mask from
    /// floor(x1), ceil(x2) (and y) relative to the origin, clipped to the crop.
    /// </summary>
    private static float[] ReferenceCrop(float[] chw, int w, int h, float x1, float y1, float x2, float y2, int size)
    {
        int cx = (int)MathF.Floor((x1 + x2) / 2), cy = (int)MathF.Floor((y1 + y2) / 2);
        int x0 = cx - size / 2, y0 = cy - size / 2;
        var crop = new float[4 * size * size];
        for (int c = 0; c < 3; c++)
            for (int j = 0; j < size; j++)
                for (int i = 0; i < size; i++)
                {
                    int x = x0 + i, y = y0 + j;
                    crop[(c * size + j) * size + i] = x >= 0 && x < w && y >= 0 && y < h ? chw[(c * h + y) * w + x] : 114f / 255f;
                }
        int mx0 = (int)MathF.Floor(x1) - x0, mx1 = (int)MathF.Ceiling(x2) - x0;
        int my0 = (int)MathF.Floor(y1) - y0, my1 = (int)MathF.Ceiling(y2) - y0;
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++)
                crop[(3 * size + j) * size + i] = i >= mx0 && i < mx1 && j >= my0 && j < my1 ? 1f : 0f;
        return crop;
    }

    /// <summary>A 100×80 input (not square, so rows and columns cannot be swapped unnoticed) whose every element differs.</summary>
    private static float[] DistinctInput(int w = 100, int h = 80)
    {
        var chw = new float[3 * w * h];
        for (int k = 0; k < chw.Length; k++) chw[k] = k / (float)chw.Length;
        return chw;
    }

    [Theory]
    [InlineData(40.3f, 30.7f, 60.2f, 50.9f, 64)]      // inside, fractional corners
    [InlineData(-5.5f, -3.2f, 10.4f, 8.8f, 64)]       // top-left corner: the crop starts above and left of the input, the mask starts before the crop
    [InlineData(85.5f, 70.1f, 130.7f, 79.9f, 64)]     // bottom-right: past the input's edges, the mask past the crop's
    [InlineData(2f, 3f, 98f, 77f, 64)]                // a box larger than the crop: the mask fills it
    [InlineData(150f, 120f, 170f, 140f, 64)]          // a box wholly outside the input: all padding
    [InlineData(-7.5f, -9.25f, -2.5f, -1.1f, 64)]     // negative centre: floor rounds towards −∞
    [InlineData(10f, 10f, 10f, 10f, 64)]              // empty box: an empty mask
    [InlineData(33.5f, 20.25f, 34.5f, 21.75f, 64)]    // centre exactly on a pixel
    [InlineData(95.2f, 1.5f, 99.9f, 79.6f, 16)]       // another crop size
    public void The_crop_is_the_training_codes_to_the_last_bit(float x1, float y1, float x2, float y2, int size)
    {
        var chw = DistinctInput();
        var crop = new float[4 * size * size];
        crop.AsSpan().Fill(float.NaN); // every element must be written

        DetectionVerifier.WriteCrop(chw, 100, 80, x1, y1, x2, y2, size, crop);

        var expected = ReferenceCrop(chw, 100, 80, x1, y1, x2, y2, size);
        for (int k = 0; k < crop.Length; k++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[k]) == BitConverter.SingleToInt32Bits(crop[k]),
                $"element {k} (channel {k / (size * size)}, row {k / size % size}, column {k % size}): expected {expected[k]}, got {crop[k]}");
    }

    [Fact]
    public void The_crop_of_a_box_in_the_corner_has_padding_and_a_clipped_mask_where_expected()
    {
        var chw = DistinctInput();
        var crop = new float[4 * 64 * 64];

        DetectionVerifier.WriteCrop(chw, 100, 80, -5.5f, -3.2f, 10.4f, 8.8f, 64, crop);

        // Centre (2, 2), origin (−30, −30): crop column 30 is input column 0.
        Assert.Equal(114f / 255f, crop[29 * 64 + 29]);
        Assert.Equal(chw[0], crop[30 * 64 + 30]);
        Assert.Equal(chw[2 * 8000 + 5 * 100 + 7], crop[2 * 4096 + 35 * 64 + 37]);
        var mask = crop.AsSpan(3 * 4096, 4096);
        // Mask columns floor(−5.5) + 30 = 24 … ceil(10.4) + 30 = 41, rows floor(−3.2) + 30 = 26 … ceil(8.8) + 30 = 39.
        Assert.Equal(17 * 13, mask.ToArray().Count(v => v == 1f));
        Assert.Equal(1f, mask[26 * 64 + 24]);
        Assert.Equal(0f, mask[25 * 64 + 24]);
        Assert.Equal(0f, mask[26 * 64 + 41]);
    }

    [Fact]
    public void The_verifier_beside_a_detector_is_named_after_the_fp32_file_for_both_files()
    {
        Assert.Equal(Path.Combine("models", "defect", "defect-verifier.onnx"), DetectionVerifier.PathBeside(Path.Combine("models", "defect", "defect.onnx")));
        Assert.Equal(Path.Combine("models", "defect", "defect-verifier.onnx"), DetectionVerifier.PathBeside(Path.Combine("models", "defect", "defect-int8.onnx")));
        Assert.Equal("/m/a.b-verifier.onnx", DetectionVerifier.PathBeside("/m/a.b.onnx"));
    }

    private static Dictionary<string, string?> Contract() => new()
    {
        ["task"] = "verify", ["class"] = "scratch", ["crop"] = "64", ["letterbox_pad"] = "114", ["normalize"] = "rgb/255",
        ["channels"] = "r,g,b,box", ["band"] = "{\"from\": 0.5, \"min\": 0.8}", ["version"] = "0.0.1",
    };

    /// <summary>A verifier that always says 0.7, or whose output is the crop weighted by <paramref name="weights"/> (flattened CHW).</summary>
    private string Verifier(string file = "v.onnx", Action<Dictionary<string, string?>>? edit = null, long[]? input = null,
        long[]? outputDims = null, float[]? weights = null, bool secondInput = false, bool secondOutput = false)
    {
        var meta = Contract();
        edit?.Invoke(meta);
        var b = new OnnxModelBuilder().Input("crop", F, input ?? [1, 4, 64, 64]);
        if (secondInput) b.Input("scale", F, 1, 2);
        if (weights is not null) b.Linear("crop", "verified", weights);
        else
        {
            var dims = outputDims ?? [1, 1];
            b.Output("verified", Enumerable.Repeat(0.7f, (int)dims.Aggregate(1L, (a, d) => a * d)).ToArray(), dims);
        }
        if (secondOutput) b.Output("logit", [0.1f], [1, 1]);
        foreach (var (key, value) in meta)
            if (value is not null) b.Metadata(key, value);
        return b.Save(_dir.File(file));
    }

    [Fact]
    public void A_verifier_reads_its_class_band_and_crop_from_its_metadata()
    {
        using var v = DetectionVerifier.Load(Verifier(), ["dent", "scratch"]);

        Assert.Equal("scratch", v.ClassName);
        Assert.Equal(1, v.ClassId);
        Assert.Equal(0.5f, v.From);
        Assert.Equal(0.8f, v.Min);
        Assert.Equal(64, v.CropSize);
        Assert.Equal(_dir.File("v.onnx"), v.ModelPath);
        Assert.True(v.Applies(1, 0.5f));
        Assert.False(v.Applies(1, 0.49f));
        Assert.False(v.Applies(0, 0.9f));
        Assert.Equal(0.7f, v.Verify(DistinctInput(), 100, 80, 10, 10, 20, 20));
        Assert.True(v.Applies(1, 0.99f)); // without a `to`, every box from `from` up
        Assert.False(v.Vetoes);
        Assert.Equal(float.PositiveInfinity, v.To);
    }

    [Theory]
    [InlineData("0.45:0.32", 0.45f, float.NaN, 0.32f)]
    [InlineData("0.45:0.85:0.37", 0.45f, 0.85f, 0.37f)]
    [InlineData("0:1", 0f, float.NaN, 1f)]
    public void A_band_reads_from_min_or_from_to_min(string text, float from, float to, float min)
    {
        var band = VerifierBand.Parse(text, "--verifier-band");
        Assert.Equal((from, float.IsNaN(to) ? null : to, min), (band.From, band.To, band.Min));
    }

    [Theory]
    [InlineData("0.45", "--verifier-band = '0.45': expected FROM:MIN or FROM:TO:MIN")]
    [InlineData("0.45:0.5:0.6:0.7", "expected FROM:MIN or FROM:TO:MIN")]
    [InlineData("a:0.3", "expected FROM:MIN or FROM:TO:MIN")]
    [InlineData("0.45:NaN", "expected FROM:MIN or FROM:TO:MIN")]
    [InlineData("1.5:0.3", "--verifier-band: {from: 1.5, min: 0.3}: from and min must be 0..1")]
    [InlineData("0.5:0.5:0.3", "--verifier-band: {from: 0.5, to: 0.5, min: 0.3}: from and min must be 0..1, and to (when set) above from")]
    public void A_bad_band_is_refused_naming_its_source(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => VerifierBand.Parse(text, "--verifier-band"));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("Parameter", e.Message);
    }

    [Fact]
    public void A_line_band_replaces_the_files_and_is_checked()
    {
        using var v = DetectionVerifier.Load(Verifier("set.onnx"), ["dent", "scratch"]);
        Assert.Equal(new VerifierBand(0.5f, null, 0.8f), v.Band);

        v.SetBand(new VerifierBand(0.3f, 0.9f, 0.4f), "line.verifierBand");

        Assert.Equal((0.3f, 0.9f, 0.4f, true), (v.From, v.To, v.Min, v.Vetoes));
        Assert.True(v.Applies(1, 0.3f));
        Assert.False(v.Applies(1, 0.9f));
        var e = Assert.Throws<ArgumentException>(() => v.SetBand(new VerifierBand(0.3f, 0.2f, 0.4f), "line.verifierBand"));
        Assert.StartsWith("line.verifierBand: ", e.Message);
        Assert.Equal(0.3f, v.From); // unchanged by a refused band
        v.SetBand(new VerifierBand(0.45f, null, 0.32f), "x");
        Assert.False(v.Vetoes);
        Assert.True(v.Applies(1, 0.99f));
    }

    [Fact]
    public void A_band_with_a_to_looks_only_at_the_boxes_from_from_up_to_it()
    {
        using var v = DetectionVerifier.Load(Verifier("to.onnx", meta => meta["band"] = "{\"from\": 0.45, \"to\": 0.85, \"min\": 0.22}"), ["dent", "scratch"]);

        Assert.Equal((0.45f, 0.85f, 0.22f, true), (v.From, v.To, v.Min, v.Vetoes));
        Assert.True(v.Applies(1, 0.45f));
        Assert.True(v.Applies(1, 0.849f));
        Assert.False(v.Applies(1, 0.85f));
        Assert.False(v.Applies(1, 0.44f));
    }

    [Theory]
    [InlineData("task", null, "metadata 'task' is missing")]
    [InlineData("task", "detect", "metadata 'task' = detect, a verifier's is 'verify'")]
    [InlineData("class", null, "metadata 'class' is missing")]
    [InlineData("class", "crack", "metadata 'class' = crack is not one of the detector's classes (scratch, dent)")]
    [InlineData("crop", "sixty-four", "metadata 'crop' = sixty-four, expected the crop's side in pixels")]
    [InlineData("crop", "32", "expected float[1,4,32,32]")]
    [InlineData("band", null, "metadata 'band' is missing")]
    [InlineData("band", "{\"from\": 0.5", "metadata 'band' = {\"from\": 0.5: not JSON")]
    [InlineData("band", "0.5", "expected an object {\"from\": detector score, \"min\": verifier probability}")]
    [InlineData("band", "{\"from\": 0.5}", "'min' is missing, expected a number 0..1")]
    [InlineData("band", "{\"from\": 1.5, \"min\": 0.5}", "from = 1.5, expected a number 0..1")]
    [InlineData("band", "{\"from\": 0.5, \"min\": \"high\"}", "min = \"high\", expected a number 0..1")]
    [InlineData("band", "{\"from\": 0.5, \"to\": 0.5, \"min\": 0.5}", "'to' = 0.5 is not above 'from' = 0.5")]
    [InlineData("band", "{\"from\": 0.5, \"to\": 1.5, \"min\": 0.5}", "to = 1.5, expected a number 0..1")]
    [InlineData("band", "{\"from\": 0.5, \"to\": \"top\", \"min\": 0.5}", "to = \"top\", expected a number 0..1")]
    [InlineData("letterbox_pad", "0", "metadata 'letterbox_pad' = 0, the runtime builds crops with letterbox_pad = 114")]
    [InlineData("normalize", "imagenet", "metadata 'normalize' = imagenet")]
    [InlineData("channels", "b,g,r,box", "metadata 'channels' = b,g,r,box")]
    public void Bad_metadata_is_refused_naming_the_file_and_the_item(string key, string? value, string expected)
    {
        var path = Verifier("bad.onnx", meta => meta[key] = value);

        var e = Assert.Throws<InvalidDataException>(() => DetectionVerifier.Load(path, Labels));

        Assert.Contains("bad.onnx: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_descriptive_keys_may_be_left_out()
    {
        var path = Verifier(edit: meta => meta["letterbox_pad"] = meta["normalize"] = meta["channels"] = null);
        using var v = DetectionVerifier.Load(path, Labels);
        Assert.Equal(0, v.ClassId);
    }

    [Fact]
    public void Wrong_shapes_are_refused_naming_the_file_and_the_tensor()
    {
        var e = Assert.Throws<InvalidDataException>(() => DetectionVerifier.Load(Verifier("rgb.onnx", input: [1, 3, 64, 64]), Labels));
        Assert.Contains("rgb.onnx: input crop: float[1,3,64,64] does not fit the verifier's crop: expected float[1,4,64,64]", e.Message);

        e = Assert.Throws<InvalidDataException>(() => DetectionVerifier.Load(Verifier("two.onnx", outputDims: [1, 2]), Labels));
        Assert.Contains("two.onnx: output verified: float[1,2] is not one probability: expected float[1,1]", e.Message);

        e = Assert.Throws<InvalidDataException>(() => DetectionVerifier.Load(Verifier("inputs.onnx", secondInput: true), Labels));
        Assert.Contains("inputs.onnx: a verifier has one input [1,4,64,64]; this one has 2", e.Message);

        e = Assert.Throws<InvalidDataException>(() => DetectionVerifier.Load(Verifier("outputs.onnx", secondOutput: true), Labels));
        Assert.Contains("outputs.onnx: a verifier has one output", e.Message);
    }

    /// <summary>A YOLOv8 detector [1, 6, 3] over a 640×640 input: a scratch 0.9, a scratch 0.4 (below the band) and a dent 0.8.</summary>
    private string Detector()
    {
        float[][] rows = [[320, 200, 100, 60, 0.9f, 0.1f], [100, 500, 20, 20, 0.4f, 0.0f], [500, 300, 40, 40, 0.1f, 0.8f]];
        var data = new float[6 * 3];
        for (int n = 0; n < 3; n++)
            for (int c = 0; c < 6; c++) data[c * 3 + n] = rows[n][c];
        return new OnnxModelBuilder().Input("images", F, 1, 3, 640, 640).Output("output0", data, [1, 6, 3])
            .Metadata("names", "{0: 'scratch', 1: 'dent'}").Metadata("task", "detect").Save(_dir.File("det.onnx"));
    }

    /// <summary>Weights over the flattened crop [4, 64, 64]: 1/4096 on every element of the given channels.</summary>
    private static float[] MeanOf(params int[] channels)
    {
        var w = new float[4 * 4096];
        foreach (int c in channels) w.AsSpan(c * 4096, 4096).Fill(1f / (4096 * channels.Length));
        return w;
    }

    [Fact]
    public void The_detector_looks_again_at_its_class_in_the_band_on_its_own_input_in_input_pixels()
    {
        using var detector = ObjectDetector.Load(Detector());
        detector.AttachVerifier(Verifier("area.onnx", weights: MeanOf(3)));
        using var image = new ImageBuffer(1000, 499, PixelFormat.Rgb24); // scale 0.64, 160 rows of padding above
        image.Data.Fill(90);

        var result = detector.Detect(image);

        var d = result.Detections;
        Assert.Equal(["scratch", "dent", "scratch"], d.Select(x => x.Label));
        // The scratch (270,170)-(370,230) in input pixels: a crop from (288,168), its mask 64 columns × 60 rows. In image
        // pixels (422,16)-(578,110) it would have filled the crop.
        Assert.Equal(64 * 60 / 4096f, d[0].Verified);
        Assert.True(d[0].IsVerified);
        Assert.True(float.IsNaN(d[1].Verified)); // another class
        Assert.True(float.IsNaN(d[2].Verified)); // 0.4, below the band's 0.5
        var t = result.Timings;
        Assert.Equal(1, t.Verified);
        Assert.True(t.VerifyMs > 0);
        Assert.True(t.TotalMs + 1e-9 >= t.DecodeMs + t.PreprocessMs + t.ModelMs + t.PostprocessMs + t.VerifyMs, t.ToString());

        // The colour channels come from the detector's input tensor: grey 90 as the letterbox normalised it.
        using var colour = ObjectDetector.Load(Detector());
        colour.AttachVerifier(Verifier("colour.onnx", weights: MeanOf(0, 1, 2)));
        Assert.Equal(90 * (float)(1 / 255.0), colour.Detect(image).Detections[0].Verified, 5);
    }

    [Fact]
    public void Detecting_with_a_verifier_attached_allocates_nothing_beyond_the_caller_list()
    {
        using var detector = ObjectDetector.Load(Detector());
        detector.AttachVerifier(Verifier("area.onnx", weights: MeanOf(3)));
        using var image = new ImageBuffer(1000, 499, PixelFormat.Rgb24);
        image.Data.Fill(90);
        var detections = new List<Detection>(16);
        int verified = 0;
        var allocations = Allocations.SteadyState(() =>
        {
            detections.Clear();
            verified = detector.DetectInto(image, detections).Verified;
        }, warmUp: 2, windows: 4, callsPerWindow: 3);

        Assert.Equal(1, verified);
        Assert.True(allocations.Bytes == 0, allocations.ToString());
    }

    [Fact]
    public void A_verifier_is_refused_by_a_paddle_detector_or_for_other_labels_and_disposed_with_its_detector()
    {
        var paddle = new OnnxModelBuilder().Input("image", F, -1, 3, 640, 640)
            .Output("boxes", new float[8], [1, 2, 4]).Output("scores", new float[4], [1, 2, 2]).Save(_dir.File("picodet.onnx"));
        using (var detector = ObjectDetector.Load(paddle, new DetectionOptions { Labels = Labels }))
        {
            using var v = DetectionVerifier.Load(Verifier(), Labels);
            var e = Assert.Throws<NotSupportedException>(() => detector.AttachVerifier(v));
            Assert.Contains("picodet.onnx is a PaddleDetection model", e.Message);
            Assert.Throws<NotSupportedException>(() => detector.AttachVerifier(_dir.File("v.onnx")));
        }

        using var yolo = ObjectDetector.Load(Detector());
        using (var other = DetectionVerifier.Load(Verifier(), ["dent", "scratch"]))
            Assert.Contains("checks class 'scratch' (id 1)", Assert.Throws<ArgumentException>(() => yolo.AttachVerifier(other)).Message);
        var attached = yolo.AttachVerifier(Verifier());
        Assert.Same(attached, yolo.Verifier);
        Assert.Throws<InvalidOperationException>(() => yolo.AttachVerifier(Verifier("again.onnx")));
        yolo.Dispose();
        Assert.Throws<ObjectDisposedException>(() => attached.Verify(DistinctInput(), 100, 80, 1, 1, 2, 2));
    }

    /// <summary>The repository's <c>models/defect</c>, found above the test's folder.</summary>
    private static string DefectModels()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "defect");
            if (File.Exists(Path.Combine(candidate, "defect.onnx"))) return candidate;
        }
        throw new DirectoryNotFoundException($"models/defect/defect.onnx not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void The_shipped_verifier_gives_a_repeatable_probability_for_a_held_out_scratch_as_the_training_code_crops_it()
    {
        var models = DefectModels();
        using var detector = ObjectDetector.Load(Path.Combine(models, "defect.onnx"));
        var verifier = detector.AttachVerifier(DetectionVerifier.PathBeside(Path.Combine(models, "defect.onnx")));
        // 0122.jpg: a faint scratch the detector scores inside the band (0.64: from 0.45 up to 0.85).
        using var image = ImageCodec.Load(Path.Combine(models, "heldout", "0122.jpg"), PixelFormat.Rgb24);
        Assert.Equal((320, 320), (image.Width, image.Height));

        var first = detector.Detect(image).Detections;
        var second = detector.Detect(image).Detections;

        Assert.Equal(first, second);
        var looked = first.Where(d => d.IsVerified).ToList();
        Assert.NotEmpty(looked);
        foreach (var d in first)
            Assert.Equal(d.Label == verifier.ClassName && d.Score >= verifier.From && d.Score < verifier.To, d.IsVerified);
        // For a 320×320 image the detector's input is the image: the probability is the verifier's on the image's own
        // pixels / 255, cropped as the training code crops (the detector scales by the reciprocal of 255: a last-bit difference).
        var chw = new float[3 * 320 * 320];
        for (int y = 0; y < 320; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < 320; x++)
                for (int c = 0; c < 3; c++) chw[(c * 320 + y) * 320 + x] = row[3 * x + c] / 255f;
        }
        foreach (var d in looked)
        {
            Assert.InRange(d.Verified, 0f, 1f);
            Assert.Equal(d.Verified, verifier.Verify(chw, 320, 320, d.X1, d.Y1, d.X2, d.Y2), 4);
        }
    }
}
