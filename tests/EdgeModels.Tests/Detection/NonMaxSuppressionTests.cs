using Edge.Models.Detection;

namespace Edge.Models.Tests.Detection;

public class NonMaxSuppressionTests
{
    private static BoxCandidate Box(float x1, float y1, float x2, float y2, float score, int cls, int index) => new(x1, y1, x2, y2, score, cls, index);

    [Fact]
    public void An_overlapping_box_of_the_same_class_is_suppressed_by_the_better_one()
    {
        var boxes = new List<BoxCandidate> { Box(0, 0, 100, 100, 0.6f, 0, 0), Box(10, 0, 110, 100, 0.9f, 0, 1), Box(300, 300, 350, 350, 0.5f, 0, 2) };

        int kept = new NonMaxSuppression { IouThreshold = 0.45f }.Apply(boxes);

        Assert.Equal(2, kept);
        Assert.Equal([1, 2], boxes.Take(kept).Select(b => b.Index));
    }

    [Fact]
    public void Overlapping_boxes_of_different_classes_are_both_kept()
    {
        var boxes = new List<BoxCandidate> { Box(0, 0, 100, 100, 0.6f, 0, 0), Box(0, 0, 100, 100, 0.9f, 1, 1) };

        Assert.Equal(2, new NonMaxSuppression().Apply(boxes));
        Assert.Equal([1, 0], boxes.Select(b => b.Index));
    }

    [Fact]
    public void Class_agnostic_mode_suppresses_across_classes()
    {
        var boxes = new List<BoxCandidate> { Box(0, 0, 100, 100, 0.6f, 0, 0), Box(0, 0, 100, 100, 0.9f, 1, 1) };

        int kept = new NonMaxSuppression { ClassAgnostic = true }.Apply(boxes);

        Assert.Equal(1, kept);
        Assert.Equal(1, boxes[0].ClassId);
    }

    [Fact]
    public void Equal_scores_are_resolved_by_decode_order_whatever_the_input_order()
    {
        var a = Box(0, 0, 100, 100, 0.7f, 0, 5);
        var b = Box(5, 5, 105, 105, 0.7f, 0, 3);
        foreach (var order in new[] { new[] { a, b }, new[] { b, a } })
        {
            var boxes = order.ToList();
            Assert.Equal(1, new NonMaxSuppression().Apply(boxes));
            Assert.Equal(3, boxes[0].Index);
        }
    }

    [Fact]
    public void A_box_whose_iou_equals_the_threshold_is_kept()
    {
        // Two 100×100 boxes overlapping by 50×100: IoU = 5000 / 15000 = 1/3.
        var a = Box(0, 0, 100, 100, 0.9f, 0, 0);
        var b = Box(50, 0, 150, 100, 0.8f, 0, 1);
        float iou = NonMaxSuppression.Iou(a, b);
        Assert.Equal(5000f / 15000f, iou);

        Assert.Equal(2, new NonMaxSuppression { IouThreshold = iou }.Apply([a, b]));
        Assert.Equal(1, new NonMaxSuppression { IouThreshold = iou - 1e-6f }.Apply([a, b]));
    }

    [Fact]
    public void At_most_max_detections_are_kept_best_first()
    {
        var boxes = Enumerable.Range(0, 10).Select(i => Box(i * 20, 0, i * 20 + 10, 10, i / 10f, 0, i)).ToList();

        int kept = new NonMaxSuppression { MaxDetections = 3 }.Apply(boxes);

        Assert.Equal(3, kept);
        Assert.Equal([9, 8, 7], boxes.Take(3).Select(b => b.Index));
    }

    [Fact]
    public void A_suppressed_box_does_not_suppress_others()
    {
        // b overlaps a (suppressed by it); c overlaps b but not a, so c survives.
        var boxes = new List<BoxCandidate> { Box(0, 0, 100, 100, 0.9f, 0, 0), Box(40, 0, 140, 100, 0.8f, 0, 1), Box(90, 0, 190, 100, 0.7f, 0, 2) };

        int kept = new NonMaxSuppression { IouThreshold = 0.3f }.Apply(boxes);

        Assert.Equal([0, 2], boxes.Take(kept).Select(b => b.Index));
    }
}
