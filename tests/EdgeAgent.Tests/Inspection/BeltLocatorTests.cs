using System.Drawing;
using Edge.Agent.Capture;
using Edge.Agent.Cli;
using Edge.Agent.Inspection;
using Edge.Models.Detection;
using Edge.Models.Imaging;

namespace Edge.Agent.Tests.Inspection;

/// <summary>
/// Continuous mode's part finding on a textured belt: the synthetic belt, laying parts on it by their masks, the
/// locator's learnt per-row belt, and the tracker across a dropped frame.
/// </summary>
public sealed class BeltLocatorTests
{
    private static string Heldout => Path.Combine(Path.GetDirectoryName(DetectCommand.ResolveModel("defect", DetectCommand.SearchRoots()))!, "heldout");

    /// <summary>A flat part of one gray level: a w×h rectangle in a 320×320 image, its mask 255 inside.</summary>
    private static (ImageBuffer Part, ImageBuffer Mask) FlatPart(byte gray, int w = 200, int h = 140)
    {
        var part = new ImageBuffer(320, 320, PixelFormat.Rgb24);
        var mask = new ImageBuffer(320, 320, PixelFormat.Gray8);
        part.Data.Fill(0);
        mask.Data.Fill(0);
        int left = (320 - w) / 2, top = (320 - h) / 2;
        for (int y = top; y < top + h; y++)
        {
            part.Row(y).Slice(left * 3, w * 3).Fill(gray);
            mask.Row(y).Slice(left, w).Fill(255);
        }
        return (part, mask);
    }

    [Fact]
    public void A_textured_belt_with_a_rail_seams_and_dust_but_no_part_gives_no_boxes_frame_after_frame()
    {
        var belt = new BeltTexture(320, seed: 5);
        using var frame = new ImageBuffer(640, 320, PixelFormat.Rgb24);
        var locator = new PartLocator();
        var boxes = new List<RectangleF>();
        int found = 0;
        for (int k = 0; k < 60; k++)
        {
            belt.Render(frame, k * 80L);
            found += locator.Locate(frame, boxes);
        }
        Assert.Equal(0, found);
        // The belt does have structure: a rail far brighter than the belt along the top, streaks, seams.
        Assert.True(frame.Row(3)[0] > belt.Level + 40, $"rail {frame.Row(3)[0]} vs belt {belt.Level}");
    }

    [Theory]
    [InlineData(25)]  // black plastic on dark rubber: darker than the belt
    [InlineData(200)] // bright metal
    public void A_part_darker_or_brighter_than_the_belt_is_found_once_where_it_lies(byte gray)
    {
        var belt = new BeltTexture(320, seed: 5);
        var (part, mask) = FlatPart(gray);
        using (part)
        using (mask)
        {
            using var frame = new ImageBuffer(640, 320, PixelFormat.Rgb24);
            var locator = new PartLocator();
            var boxes = new List<RectangleF>();
            for (int k = 0; k < 5; k++) { belt.Render(frame, k * 80L); locator.Locate(frame, boxes); } // learn the belt
            belt.Render(frame, 400);
            ContinuousConveyor.Composite(part, mask, frame, 200);

            Assert.Equal(1, locator.Locate(frame, boxes));
            var box = boxes[0];
            // The part is 200×140 at x 260..460, y 90..230; cells are 4 px and the shadow adds up to 5 px below and right.
            Assert.InRange(box.Left, 256, 264);
            Assert.InRange(box.Top, 86, 94);
            Assert.InRange(box.Right, 456, 470);
            Assert.InRange(box.Bottom, 226, 240);
        }
    }

    [Fact]
    public void Composite_lays_only_the_masked_pixels_and_darkens_the_belt_under_the_shadow()
    {
        var (part, mask) = FlatPart(200, 100, 100);
        using (part)
        using (mask)
        {
            using var frame = new ImageBuffer(640, 320, PixelFormat.Rgb24);
            frame.Data.Fill(100);
            ContinuousConveyor.Composite(part, mask, frame, 50, shadowOffset: 5, shadowPercent: 40);
            // Part: x 110..209 in the image → 160..259 in the frame, y 110..209; its shadow 5 px lower and to the right.
            Assert.Equal(200, frame.Row(150)[250 * 3]);
            Assert.Equal(100, frame.Row(150)[100 * 3]);      // belt left of the part
            Assert.Equal(60, frame.Row(212)[200 * 3]);       // shadow below the part: 40 % darker
            Assert.Equal(100, frame.Row(212)[300 * 3]);      // right of the shadow
            Assert.Equal(100, frame.Row(150)[330 * 3]);      // beyond the shadow
            Assert.Throws<ArgumentException>(() => ContinuousConveyor.Composite(part, part, frame, 0));
        }
    }

    [Fact]
    public void The_shadow_outline_fills_a_parts_holes_but_not_the_belt_around_it()
    {
        var (part, mask) = FlatPart(200, 100, 100); // x, y 110..209
        using (part)
        using (mask)
        {
            for (int y = 150; y < 160; y++) mask.Row(y).Slice(150, 10).Clear(); // a through hole
            using var outline = ContinuousConveyor.Outline(mask);
            Assert.Equal(0, mask.Row(155)[155]);
            Assert.Equal(255, outline.Row(155)[155]);   // the hole is inside the outline
            Assert.Equal(0, outline.Row(50)[50]);       // the belt is not
            Assert.Equal(255, outline.Row(120)[120]);   // the part is

            // Laid on a belt, the belt seen through the hole lies in the part's shadow when the outline casts it.
            using var frame = new ImageBuffer(640, 320, PixelFormat.Rgb24);
            frame.Data.Fill(100);
            ContinuousConveyor.Composite(part, mask, frame, 0, shadowOffset: 5, shadowPercent: 40, outline: outline);
            Assert.Equal(60, frame.Row(155)[155 * 3]);
            frame.Data.Fill(100);
            ContinuousConveyor.Composite(part, mask, frame, 0, shadowOffset: 5, shadowPercent: 40);
            Assert.Equal(100, frame.Row(157)[157 * 3]); // with the holed mask the hole's lower right stays lit
        }
    }

    [Fact]
    public void Dropped_frames_keep_the_part_on_its_track_when_the_tracker_is_told_how_many_periods_passed()
    {
        static RectangleF At(int x) => new(x, 100, 60, 60);
        int Count(bool tellPeriods)
        {
            var tracker = new PartTracker();
            var ids = new List<long>();
            // 70 px a frame; frames 4 and 5 are dropped, so the part jumps 210 px.
            foreach (int k in new[] { 0, 1, 2, 3, 6, 7, 8 })
                tracker.Update([At(k * 70)], ids, tellPeriods && k == 6 ? 3 : 1);
            return (int)tracker.Counted;
        }
        Assert.Equal(1, Count(tellPeriods: true));
        Assert.Equal(2, Count(tellPeriods: false)); // the jump alone starts a second track
    }

    [Fact]
    public void Only_a_live_camera_at_a_set_rate_gives_the_tracker_a_frame_period()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(20), InspectionService.LiveFramePeriod(new SourceOptions { Type = SourceType.Camera, Device = "/dev/video0", Fps = 50 }));
        Assert.Null(InspectionService.LiveFramePeriod(new SourceOptions { Type = SourceType.Camera, Device = "/dev/video0" }));
        // Files are one belt step per frame: their timestamps say when a file was read, not when the belt moved.
        Assert.Null(InspectionService.LiveFramePeriod(new SourceOptions { Type = SourceType.Images, Path = "frames", Fps = 50 }));
        Assert.Null(InspectionService.LiveFramePeriod(new SourceOptions { Type = SourceType.Video, Path = "belt.mp4", Fps = 50 }));
    }

    [Fact]
    public void Every_held_out_part_laid_on_the_belt_is_found_as_one_box_while_it_passes_the_decision_line()
    {
        var set = LabelledImageSet.Load(Heldout);
        var belt = new BeltTexture(320, seed: 1);
        using var frame = new ImageBuffer(640, 320, PixelFormat.Rgb24);
        using var part = new ImageBuffer();
        using var mask = new ImageBuffer();
        var locator = new PartLocator();
        var boxes = new List<RectangleF>();
        var misses = new List<string>();
        long travel = 0;
        foreach (var image in set.Images)
        {
            ImageCodec.Load(set.PathOf(image), part, PixelFormat.Rgb24);
            ImageCodec.Load(Path.Combine(set.Folder, "masks", Path.ChangeExtension(image.File, ".png")), mask, PixelFormat.Gray8);
            using var outline = ContinuousConveyor.Outline(mask);
            // The part's image centre at 240, 320 and 400: before, on and after the line at x = 320.
            for (int x = 80; x <= 240; x += 80, travel += 80)
            {
                belt.Render(frame, travel);
                ContinuousConveyor.Composite(part, mask, frame, x, outline: outline);
                int n = locator.Locate(frame, boxes);
                float centre = x + 160;
                if (n != 1 || !(boxes[0].Left <= centre && centre <= boxes[0].Right))
                    misses.Add($"{image.File} at x {x}: {n} boxes {string.Join(" ", boxes)}");
            }
        }
        Assert.Equal(180, set.Images.Count);
        Assert.True(misses.Count == 0, string.Join("\n", misses));
    }
}
