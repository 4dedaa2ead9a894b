using Edge.Models.Detection;
using Det = Edge.Models.Detection.Detection;

namespace Edge.Models.Tests.Detection;

public sealed class MeanAveragePrecisionTests
{
    private static Det P(int cls, float score, float x1, float y1, float x2, float y2) => new(cls, $"c{cls}", score, x1, y1, x2, y2);

    [Fact]
    public void Average_precision_matches_the_hand_computed_voc_all_point_value()
    {
        // Class 0: three truths (two in image A, one in B). Ranked predictions: A hit (0.9), A miss (0.8),
        // B hit (0.7), A duplicate of the first hit (0.6) → TP FP TP FP; recall 1/3 1/3 2/3 2/3,
        // precision 1 1/2 2/3 1/2; envelope area = 1/3·1 + 1/3·2/3 = 5/9.
        // Class 1: one truth, no prediction → AP 0. Class 2: a prediction but no truth → left out of the mean.
        var map = new MeanAveragePrecision(3);
        map.Add([P(0, 0.9f, 0, 0, 10, 10), P(0, 0.8f, 50, 50, 60, 60), P(0, 0.6f, 1, 1, 11, 11), P(2, 0.9f, 0, 0, 5, 5)],
                [new LabelledBox(0, 0, 0, 10, 10), new LabelledBox(0, 20, 20, 30, 30), new LabelledBox(1, 0, 0, 4, 4)]);
        map.Add([P(0, 0.7f, 100, 100, 120, 118)], [new LabelledBox(0, 100, 100, 120, 120)]);

        var (mAp, perClass) = map.Compute();

        Assert.Equal(5.0 / 9, perClass[0], 9);
        Assert.Equal(0, perClass[1]);
        Assert.True(double.IsNaN(perClass[2]));
        Assert.Equal(5.0 / 18, mAp, 9);
    }

    [Fact]
    public void A_box_below_the_iou_threshold_or_of_another_class_is_a_false_positive()
    {
        var map = new MeanAveragePrecision(2);
        // IoU of (0,0,10,10) with (5,0,15,10) is 50/150 = 1/3 < 0.5; the class-1 box on the truth does not count for class 0.
        map.Add([P(0, 0.9f, 5, 0, 15, 10), P(1, 0.8f, 0, 0, 10, 10)], [new LabelledBox(0, 0, 0, 10, 10)]);
        Assert.Equal(0, map.Compute().PerClass[0]);

        var loose = new MeanAveragePrecision(2, iouThreshold: 0.3f);
        loose.Add([P(0, 0.9f, 5, 0, 15, 10)], [new LabelledBox(0, 0, 0, 10, 10)]);
        Assert.Equal(1, loose.Compute().PerClass[0], 9);
    }

    [Fact]
    public void All_point_interpolation_takes_the_best_precision_at_any_higher_recall()
    {
        // recall 0.5 at precision 0.5, then 1.0 at precision 2/3: the envelope is 2/3 everywhere.
        Assert.Equal(2.0 / 3, MeanAveragePrecision.AllPointAp([0, 0.5, 0.5, 1.0], [0, 0.5, 1.0 / 3, 2.0 / 3]), 9);
    }
}
