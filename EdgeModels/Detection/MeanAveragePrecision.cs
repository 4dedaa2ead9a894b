namespace Edge.Models.Detection;

/// <summary>A labelled (ground-truth) box: class id and corners in image pixels.</summary>
public readonly record struct LabelledBox(int ClassId, float X1, float Y1, float X2, float Y2);

/// <summary>
/// Mean average precision as PASCAL VOC 2010+ computes it: per class, predictions from every image sorted by score;
/// each is a true positive when its best-IoU ground-truth box of the same class in the same image reaches the IoU
/// threshold and was not matched by a higher-scored prediction, else a false positive; AP is the area under the
/// precision envelope over all recall points ("all-point" interpolation). Classes with no ground truth are left out
/// of the mean (as VOC and COCO do).
/// </summary>
public sealed class MeanAveragePrecision
{
    private readonly int _classCount;
    private readonly float _iou;
    private readonly List<(float Score, int Image, int Class, float X1, float Y1, float X2, float Y2)> _predictions = [];
    private readonly List<LabelledBox[]> _truth = [];

    public MeanAveragePrecision(int classCount, float iouThreshold = 0.5f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (iouThreshold is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "IoU threshold is above 0, at most 1");
        _classCount = classCount;
        _iou = iouThreshold;
    }

    public int Images => _truth.Count;

    /// <summary>Adds one image's predictions and its ground truth.</summary>
    public void Add(IEnumerable<Detection> predictions, IEnumerable<LabelledBox> truth)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(truth);
        int image = _truth.Count;
        _truth.Add([.. truth]);
        foreach (var p in predictions)
            if ((uint)p.ClassId < (uint)_classCount) _predictions.Add((p.Score, image, p.ClassId, p.X1, p.Y1, p.X2, p.Y2));
    }

    /// <summary>AP per class (NaN for a class with no ground truth) and their mean over classes with ground truth.</summary>
    public (double Map, double[] PerClass) Compute()
    {
        var perClass = new double[_classCount];
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < _classCount; c++)
        {
            perClass[c] = ClassAp(c);
            if (double.IsNaN(perClass[c])) continue;
            sum += perClass[c];
            counted++;
        }
        return (counted == 0 ? 0 : sum / counted, perClass);
    }

    private double ClassAp(int c)
    {
        int positives = 0;
        var matched = new bool[_truth.Count][];
        for (int i = 0; i < _truth.Count; i++)
        {
            matched[i] = new bool[_truth[i].Length];
            foreach (var t in _truth[i]) if (t.ClassId == c) positives++;
        }
        if (positives == 0) return double.NaN;
        var preds = _predictions.Where(p => p.Class == c).ToList();
        // Stable sort by score, highest first: ties keep the order they were added in.
        preds = [.. preds.Select((p, i) => (p, i)).OrderByDescending(x => x.p.Score).ThenBy(x => x.i).Select(x => x.p)];
        var recall = new double[preds.Count];
        var precision = new double[preds.Count];
        int tp = 0, fp = 0;
        for (int k = 0; k < preds.Count; k++)
        {
            var p = preds[k];
            var truth = _truth[p.Image];
            int best = -1;
            float bestIou = 0;
            for (int j = 0; j < truth.Length; j++)
            {
                if (truth[j].ClassId != c) continue;
                float iou = Iou(p.X1, p.Y1, p.X2, p.Y2, truth[j]);
                if (iou > bestIou) { bestIou = iou; best = j; }
            }
            if (best >= 0 && bestIou >= _iou && !matched[p.Image][best]) { matched[p.Image][best] = true; tp++; }
            else fp++;
            recall[k] = (double)tp / positives;
            precision[k] = (double)tp / (tp + fp);
        }
        return AllPointAp(recall, precision);
    }

    /// <summary>VOC all-point interpolated AP from recall/precision in rank order.</summary>
    public static double AllPointAp(ReadOnlySpan<double> recall, ReadOnlySpan<double> precision)
    {
        if (recall.Length != precision.Length) throw new ArgumentException("recall and precision differ in length");
        int n = recall.Length;
        var mrec = new double[n + 2];
        var mpre = new double[n + 2];
        mrec[n + 1] = 1;
        for (int i = 0; i < n; i++) { mrec[i + 1] = recall[i]; mpre[i + 1] = precision[i]; }
        for (int i = n; i >= 0; i--) mpre[i] = Math.Max(mpre[i], mpre[i + 1]);
        double ap = 0;
        for (int i = 0; i <= n; i++)
            if (mrec[i + 1] != mrec[i]) ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
        return ap;
    }

    private static float Iou(float x1, float y1, float x2, float y2, LabelledBox t)
    {
        float w = Math.Min(x2, t.X2) - Math.Max(x1, t.X1);
        float h = Math.Min(y2, t.Y2) - Math.Max(y1, t.Y1);
        if (w <= 0 || h <= 0) return 0;
        float inter = w * h;
        float union = (x2 - x1) * (y2 - y1) + (t.X2 - t.X1) * (t.Y2 - t.Y1) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
