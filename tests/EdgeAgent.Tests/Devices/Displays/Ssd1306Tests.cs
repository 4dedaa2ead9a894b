using Edge.Agent.Devices.Simulation;
using Edge.Agent.Devices.Ssd1306;
using Edge.Models.Imaging;
using Edge.Models.Tests.Support;
using Xunit.Abstractions;
using static Edge.Agent.Tests.Devices.Displays.DisplayTestImages;
using Ssd1306Driver = Edge.Agent.Devices.Ssd1306.Ssd1306;

namespace Edge.Agent.Tests.Devices.Displays;

public sealed class Ssd1306Tests(ITestOutputHelper output)
{
    private static (Ssd1306Emulator Panel, Ssd1306Driver Driver) Connect(Ssd1306Options? options = null)
    {
        var panel = new Ssd1306Emulator();
        var driver = new Ssd1306Driver(panel, options);
        driver.Initialize();
        return (panel, driver);
    }

    [Fact]
    public void Initialize_sends_the_init_sequence_in_order_and_leaves_a_blank_lit_panel_without_violations()
    {
        var (panel, _) = Connect();

        var opcodes = panel.Commands.Select(c => c.Opcode).ToList();
        byte[] init = [0xAE, 0xD5, 0xA8, 0xD3, 0x40, 0x8D, 0x20, 0xA1, 0xC8, 0xDA, 0x81, 0xD9, 0xDB, 0xA4, 0xA6, 0x2E];
        Assert.Equal(init, opcodes.Take(init.Length).ToArray());
        Assert.Equal(0xAF, opcodes[^1]);
        Assert.Equal(new byte[] { 0x14 }, panel.Commands[5].Parameters);
        Assert.Equal(new byte[] { 0x00 }, panel.Commands[6].Parameters);
        Assert.Empty(panel.Violations);
        Assert.True(panel.IsDisplayOn);
        Assert.True(panel.IsChargePumpOn);
        Assert.Equal(0, panel.AddressingMode);
        Assert.Equal(128 * 8, panel.DataBytesReceived);
        Assert.All(panel.Gddram.ToArray(), b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void One_bit_image_round_trips_bit_identical(int seed)
    {
        var (panel, driver) = Connect();
        using var image = RandomBits(seed);
        driver.Show(image);

        using var seen = panel.Snapshot();
        Assert.Null(FirstDifference(image, seen));
        Assert.Empty(panel.Violations);
    }

    [Fact]
    public void Rotated_module_shows_the_image_turned_half_way()
    {
        var (panel, driver) = Connect(new Ssd1306Options { Rotate180 = true });
        using var image = RandomBits(7);
        driver.Show(image);

        using var seen = panel.Snapshot();
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 128; x++)
                Assert.True(image.Row(y)[x] == seen.Row(63 - y)[127 - x], $"pixel ({x},{y})");
    }

    [Fact]
    public void Update_sends_only_the_changed_columns_of_the_changed_pages()
    {
        var (panel, driver) = Connect();
        using var image = RandomBits(11);
        driver.Show(image);
        panel.ClearLog();

        for (int x = 20; x <= 30; x++) image.Row(10)[x] ^= 0xFF; // page 1, columns 20..30
        image.Row(50)[100] ^= 0xFF;                           // page 6, column 100
        driver.Show(image);

        Assert.Equal((1 << 1) | (1 << 6), panel.PagesWritten);
        Assert.Equal(11 + 1, panel.DataBytesReceived);
        Assert.Equal(2, driver.LastPagesSent);
        var windows = panel.Commands.Where(c => c.Opcode is 0x21 or 0x22).Select(c => $"{c.Opcode:X2}:{Convert.ToHexString(c.Parameters)}");
        Assert.Equal(["21:141E", "22:0101", "21:6464", "22:0606"], windows);
        using var seen = panel.Snapshot();
        Assert.Null(FirstDifference(image, seen));
        Assert.Empty(panel.Violations);
    }

    [Fact]
    public void Unchanged_frame_sends_nothing()
    {
        var (panel, driver) = Connect();
        using var image = RandomBits(5);
        driver.Show(image);
        panel.ClearLog();

        driver.Show(image);

        Assert.Equal(0, panel.BytesReceived);
        Assert.Equal(0, driver.LastPagesSent);
    }

    [Fact]
    public void Threshold_decides_which_grey_pixels_light()
    {
        var (panel, driver) = Connect();
        using var image = new ImageBuffer(128, 64, PixelFormat.Rgb24);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 128; x++)
                image.Row(y).Slice(3 * x, 3).Fill((byte)(x * 2));
        driver.Show(image, threshold: 100);

        using var seen = panel.Snapshot();
        Assert.Equal(0, seen.Row(0)[49]);
        Assert.Equal(255, seen.Row(0)[50]);
    }

    [Fact]
    public void Dithered_mid_grey_lights_about_half_the_pixels()
    {
        var (panel, driver) = Connect();
        using var grey = new ImageBuffer(128, 64, PixelFormat.Gray8);
        grey.Data.Fill(128);
        driver.ShowDithered(grey);

        using var seen = panel.Snapshot();
        double lit = seen.Data.ToArray().Count(b => b == 255) / (double)(128 * 64);
        Assert.InRange(lit, 0.45, 0.55);
    }

    [Fact]
    public void Inversion_contrast_and_power_off_act_on_the_panel()
    {
        var (panel, driver) = Connect();
        using var image = RandomBits(3);
        driver.Show(image);

        driver.SetInverted(true);
        driver.SetContrast(0x20);
        using (var inverted = panel.Snapshot())
            Assert.Equal((byte)~image.Row(5)[9], inverted.Row(5)[9]);
        Assert.Equal(0x20, panel.Contrast);

        driver.PowerOff();
        using (var dark = panel.Snapshot())
            Assert.All(dark.Data.ToArray(), b => Assert.Equal(0, b));
        Assert.False(panel.IsChargePumpOn);

        driver.PowerOn();
        driver.SetInverted(false);
        using var back = panel.Snapshot();
        Assert.Null(FirstDifference(image, back));
        Assert.Empty(panel.Violations);
    }

    [Fact]
    public void Emulator_flags_data_before_init_and_display_on_without_charge_pump()
    {
        var panel = new Ssd1306Emulator();
        panel.Write([0x40, 0xFF]);
        panel.Write([0x00, 0xAF]);

        Assert.Contains(panel.Violations, v => v.Contains("before the panel was initialised"));
        Assert.Contains(panel.Violations, v => v.Contains("charge pump off"));
    }

    [Fact]
    public void Emulator_page_addressing_mode_places_data_at_the_page_and_column_pointer()
    {
        var panel = new Ssd1306Emulator();
        panel.Write([0x00, 0x8D, 0x14, 0xA1, 0xC8, 0xB2, 0x05, 0x11]); // page mode is the reset default; page 2, column 0x15
        panel.Write([0x40, 0x01, 0x80]);
        panel.Write([0x80, 0xAF]); // Co = 1: a single command

        Assert.Equal(0x01, panel.Gddram[2 * 128 + 0x15]);
        Assert.Equal(0x80, panel.Gddram[2 * 128 + 0x16]);
        using var seen = panel.Snapshot();
        Assert.Equal(255, seen.Row(16)[0x15]); // bit 0 of page 2 is row 16
        Assert.Equal(255, seen.Row(23)[0x16]);
        Assert.Empty(panel.Violations);
    }

    [Fact]
    public void Emulator_flags_window_commands_sent_in_page_mode()
    {
        var panel = new Ssd1306Emulator();
        panel.Write([0x00, 0x21, 0x00, 0x7F]);
        Assert.Contains(panel.Violations, v => v.Contains("no effect in page addressing mode"));
    }

    [Fact]
    public void Address_other_than_0x3c_or_0x3d_is_rejected_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => new Ssd1306Driver(new Ssd1306Emulator(address: 0x3B)));
        Assert.Contains("0x3B", e.Message);
    }

    [Fact]
    public void Image_of_the_wrong_size_is_rejected_with_both_sizes()
    {
        var (_, driver) = Connect();
        using var image = new ImageBuffer(128, 32, PixelFormat.Gray8);
        var e = Assert.Throws<ArgumentException>(() => driver.Show(image));
        Assert.Contains("128x32", e.Message);
        Assert.Contains("128x64", e.Message);
    }

    [Fact]
    public void Show_allocates_nothing_per_frame_after_warm_up()
    {
        var (panel, driver) = Connect();
        panel.RecordCommands = false;
        using var a = RandomBits(1);
        using var b = RandomBits(2);
        var allocations = Allocations.SteadyState(() =>
        {
            driver.Show(a);
            driver.ShowDithered(b);
        });

        Assert.True(allocations.Bytes == 0, allocations.ToString());
    }

    [Fact]
    public void Emulator_snapshot_is_written_as_a_png_a_person_can_check()
    {
        var (panel, driver) = Connect();
        using var picture = Gradient(128, 64);
        driver.ShowDithered(picture);
        string path = Path.Combine(OutputFolder(), "ssd1306-dithered.png");
        panel.SavePng(path);

        Assert.True(new FileInfo(path).Length > 0);
        output.WriteLine($"wrote {path}");
    }
}
