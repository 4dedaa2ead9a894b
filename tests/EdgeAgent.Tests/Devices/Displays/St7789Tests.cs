using Edge.Agent.Devices.Simulation;
using Edge.Agent.Devices.St7789;
using Edge.Models.Imaging;
using Edge.Models.Tests.Support;
using Xunit.Abstractions;
using static Edge.Agent.Tests.Devices.Displays.DisplayTestImages;
using St7789Driver = Edge.Agent.Devices.St7789.St7789;

namespace Edge.Agent.Tests.Devices.Displays;

public sealed class St7789Tests(ITestOutputHelper output)
{
    private static (St7789Emulator Panel, St7789Driver Driver) Connect(int width, int height, int rotation = 0, bool invert = true)
    {
        var panel = new St7789Emulator(width, height);
        var driver = new St7789Driver(panel.Spi, panel.DataCommand, panel.Reset, new St7789Options
        {
            Width = width,
            Height = height,
            Rotation = rotation,
            InvertColors = invert,
            Delay = panel.Advance,
        });
        driver.Initialize();
        return (panel, driver);
    }

    public static TheoryData<int, int, int> SizesAndRotations()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (w, h) in new[] { (240, 240), (240, 320) })
            foreach (int rotation in new[] { 0, 90, 180, 270 })
                data.Add(w, h, rotation);
        return data;
    }

    [Theory]
    [MemberData(nameof(SizesAndRotations))]
    public void Frame_shown_at_any_rotation_reads_back_identical_after_rgb565_quantisation(int width, int height, int rotation)
    {
        var (panel, driver) = Connect(width, height, rotation);
        using var frame = Gradient(driver.Width, driver.Height);
        driver.Show(frame);

        using var seen = panel.Snapshot(rotation);
        using var expected = QuantisedTo565(frame);
        Assert.Null(FirstDifference(expected, seen));
        Assert.Empty(panel.Violations);
        Assert.Equal(St7789Driver.MaxTransferBytes, panel.LargestTransfer);
    }

    [Fact]
    public void Initialize_sends_the_datasheet_sequence_and_leaves_the_panel_awake_and_on_without_violations()
    {
        var (panel, _) = Connect(240, 240);

        byte[] opcodes = panel.Commands.Select(c => c.Opcode).ToArray();
        Assert.Equal(new byte[] { 0x01, 0x11, 0x3A, 0x36, 0x21, 0x13, 0x2A, 0x2B, 0x2C, 0x29 }, opcodes);
        Assert.Equal(new byte[] { 0x55 }, panel.Commands[2].Parameters);
        Assert.Equal(new byte[] { 0x00 }, panel.Commands[3].Parameters);
        Assert.Empty(panel.Violations);
        Assert.False(panel.IsSleeping);
        Assert.True(panel.IsDisplayOn);
        Assert.True(panel.IsInverted);
        Assert.Equal(0x55, panel.InterfacePixelFormat);
        Assert.True(panel.LargestTransfer <= St7789Driver.MaxTransferBytes);
    }

    [Fact]
    public void Initialize_waits_the_datasheet_delays_on_the_injected_clock()
    {
        var (panel, _) = Connect(240, 320);
        // 1 ms reset pulse + 120 ms after reset + 150 ms after SWRESET + 120 ms after SLPOUT.
        Assert.Equal(TimeSpan.FromMilliseconds(391), panel.Now);
    }

    [Fact]
    public void Emulator_flags_a_driver_that_skips_the_datasheet_waits()
    {
        var panel = new St7789Emulator();
        var driver = new St7789Driver(panel.Spi, panel.DataCommand, panel.Reset, new St7789Options { Delay = _ => { } });
        driver.Initialize();

        Assert.Contains(panel.Violations, v => v.Contains("RESX pulse"));
        Assert.Contains(panel.Violations, v => v.Contains("SLPOUT sent"));
        Assert.Contains(panel.Violations, v => v.Contains("after SWRESET"));
    }

    [Fact]
    public void Emulator_flags_pixels_written_before_sleep_out_and_data_without_a_command()
    {
        var panel = new St7789Emulator();
        panel.DataCommand.Write(true);
        panel.Spi.Write([0x12, 0x34]);
        panel.DataCommand.Write(false);
        panel.Spi.Write([0x2C]);
        panel.DataCommand.Write(true);
        panel.Spi.Write([0xF8, 0x00]);

        Assert.Contains(panel.Violations, v => v.Contains("no command before it"));
        Assert.Contains(panel.Violations, v => v.Contains("while the panel sleeps"));
        Assert.Contains(panel.Violations, v => v.Contains("COLMOD is 0x66"));
    }

    [Theory]
    [InlineData(240, 240, 180)]
    [InlineData(240, 320, 90)]
    [InlineData(240, 240, 270)]
    public void Region_update_changes_only_its_window_and_sends_only_that_windows_bytes(int width, int height, int rotation)
    {
        var (panel, driver) = Connect(width, height, rotation);
        using var before = Gradient(driver.Width, driver.Height);
        using var after = Gradient(driver.Width, driver.Height, seed: 99);
        for (int y = 0; y < after.Height; y++) after.Row(y).Fill(0x40); // every pixel differs from 'before'
        driver.Show(before);
        panel.ClearLog();

        const int X = 30, Y = 40, W = 50, H = 20;
        driver.ShowRegion(after, X, Y, W, H);

        Assert.Equal(new byte[] { 0x2A, 0x2B, 0x2C }, panel.Commands.Select(c => c.Opcode).ToArray());
        Assert.Equal(W * H * 2, panel.PixelBytesReceived);
        Assert.Equal(3 + 4 + 4 + W * H * 2, panel.BytesReceived);
        using var seen = panel.Snapshot(rotation);
        using var q0 = QuantisedTo565(before);
        using var q1 = QuantisedTo565(after);
        for (int y = 0; y < seen.Height; y++)
            for (int x = 0; x < seen.Width; x++)
            {
                bool inside = x >= X && x < X + W && y >= Y && y < Y + H;
                var expected = (inside ? q1 : q0).Row(y).Slice(3 * x, 3);
                Assert.True(expected.SequenceEqual(seen.Row(y).Slice(3 * x, 3)), $"pixel ({x},{y}) inside={inside}");
            }
        Assert.Empty(panel.Violations);
    }

    [Fact]
    public void Image_shown_at_a_position_lands_there()
    {
        var (panel, driver) = Connect(240, 320, 270);
        using var patch = new ImageBuffer(10, 6, PixelFormat.Rgb24);
        patch.Data.Fill(0xFF);
        driver.ShowAt(patch, 300, 200);

        using var seen = panel.Snapshot(270);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF }, seen.Row(200).Slice(3 * 300, 3).ToArray());
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF }, seen.Row(205).Slice(3 * 309, 3).ToArray());
        Assert.Equal(new byte[] { 0, 0, 0 }, seen.Row(199).Slice(3 * 300, 3).ToArray());
        Assert.Empty(panel.Violations);
    }

    [Fact]
    public void Fill_paints_every_pixel_of_the_glass_in_the_quantised_colour()
    {
        var (panel, driver) = Connect(240, 240, 180);
        driver.Fill(200, 100, 50);

        using var seen = panel.Snapshot(180);
        var (r, g, b) = St7789Emulator.Expand565((ushort)(((200 >> 3) << 11) | ((100 >> 2) << 5) | (50 >> 3)));
        for (int y = 0; y < seen.Height; y++)
            for (int x = 0; x < seen.Width; x++)
                Assert.True(seen.Row(y)[3 * x] == r && seen.Row(y)[3 * x + 1] == g && seen.Row(y)[3 * x + 2] == b, $"pixel ({x},{y})");
    }

    [Fact]
    public void Sleeping_panel_shows_black_and_waking_brings_the_frame_back()
    {
        var (panel, driver) = Connect(240, 240);
        using var frame = Gradient(240, 240);
        driver.Show(frame);

        driver.Sleep();
        using (var dark = panel.Snapshot())
            Assert.All(dark.Data.ToArray(), b => Assert.Equal(0, b));
        driver.Wake();

        using var seen = panel.Snapshot();
        using var expected = QuantisedTo565(frame);
        Assert.Null(FirstDifference(expected, seen));
        Assert.Empty(panel.Violations);
    }

    [Fact]
    public void Ips_panel_driven_without_inversion_shows_inverted_colours()
    {
        var (panel, driver) = Connect(240, 240, invert: false);
        driver.Fill(255, 255, 255);
        using var seen = panel.Snapshot();
        Assert.Equal(new byte[] { 0, 0, 0 }, seen.Row(0).Slice(0, 3).ToArray());
    }

    [Theory]
    [InlineData(128, 160)]
    [InlineData(240, 280)]
    [InlineData(320, 240)]
    public void Unsupported_panel_size_is_rejected_with_the_size_in_the_message(int width, int height)
    {
        var panel = new St7789Emulator();
        var e = Assert.Throws<ArgumentException>(() => new St7789Driver(panel.Spi, panel.DataCommand, null, new St7789Options { Width = width, Height = height }));
        Assert.Contains($"{width}x{height}", e.Message);
        Assert.Contains("240x240 or 240x320", e.Message);
    }

    [Theory]
    [InlineData(45)]
    [InlineData(-90)]
    [InlineData(360)]
    public void Unsupported_rotation_is_rejected_with_the_value_in_the_message(int rotation)
    {
        var panel = new St7789Emulator();
        var e = Assert.Throws<ArgumentException>(() => new St7789Driver(panel.Spi, panel.DataCommand, null, new St7789Options { Rotation = rotation }));
        Assert.Contains($"Rotation {rotation}", e.Message);
    }

    [Fact]
    public void Frame_of_the_wrong_size_and_windows_off_screen_are_rejected()
    {
        var (_, driver) = Connect(240, 320, 90);
        using var portrait = new ImageBuffer(240, 320, PixelFormat.Rgb24);
        var e = Assert.Throws<ArgumentException>(() => driver.Show(portrait));
        Assert.Contains("320x240", e.Message);
        using var landscape = new ImageBuffer(320, 240, PixelFormat.Rgb24);
        Assert.Throws<ArgumentOutOfRangeException>(() => driver.ShowRegion(landscape, 300, 0, 30, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => driver.ShowAt(landscape, 1, 0));
    }

    [Fact]
    public void Drawing_before_initialize_is_refused()
    {
        var panel = new St7789Emulator();
        var driver = new St7789Driver(panel.Spi, panel.DataCommand, null, new St7789Options { Delay = panel.Advance });
        using var frame = new ImageBuffer(240, 240, PixelFormat.Rgb24);
        Assert.Throws<InvalidOperationException>(() => driver.Show(frame));
    }

    [Fact]
    public void Show_allocates_nothing_per_frame_after_warm_up()
    {
        var (panel, driver) = Connect(240, 320, 90);
        panel.RecordCommands = false;
        using var frame = Gradient(driver.Width, driver.Height);
        var allocations = Allocations.SteadyState(() =>
        {
            driver.Show(frame);
            driver.ShowRegion(frame, 10, 10, 100, 50);
        });

        Assert.True(allocations.Bytes == 0, allocations.ToString());
    }

    [Fact]
    public void Emulator_snapshot_is_written_as_a_png_a_person_can_check()
    {
        var (panel, driver) = Connect(240, 320, 90);
        using var frame = Gradient(driver.Width, driver.Height);
        driver.Show(frame);
        string path = Path.Combine(OutputFolder(), "st7789-240x320-rot90.png");
        panel.SavePng(path, 90);

        using var decoded = new ImageBuffer();
        PngCodec.Decode(File.ReadAllBytes(path), decoded);
        using var expected = QuantisedTo565(frame);
        Assert.Null(FirstDifference(expected, decoded));
        output.WriteLine($"wrote {path}");
    }
}
