using Edge.Agent.Devices.EscPos;
using Edge.Agent.Devices.Simulation;
using Edge.Models.Imaging;
using static Edge.Agent.Tests.Devices.EscPos.EscPosTestImages;

namespace Edge.Agent.Tests.Devices.EscPos;

public sealed class EscPosRoundTripTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edge-escpos-").FullName;

    public void Dispose()
    {
        // EDGE_KEEP_TEST_PNG=1 keeps the printed pages for a person to look at.
        if (Environment.GetEnvironmentVariable("EDGE_KEEP_TEST_PNG") != "1") Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(384, 300, 128)]
    [InlineData(576, 517, 24)]
    [InlineData(576, 255, 255)]
    [InlineData(200, 61, 24)]
    public void A_raster_printed_in_bands_comes_back_from_the_interpreter_with_the_same_bits(int width, int height, int band)
    {
        int paper = width <= 384 ? 384 : 576;
        var printerSim = new EscPosInterpreter(paper);
        var options = new EscPosOptions { PaperWidthDots = paper, MaxBandRows = band, FeedLinesBeforeCut = 3, Cut = CutMode.Full };
        using var printer = new EscPosPrinter(printerSim.Channel, options);
        var image = Pattern(width, height, seed: width + height);

        var result = printer.PrintJob(image);

        Assert.True(result.Complete, result.Problem);
        var page = Assert.Single(printerSim.Pages);
        Assert.Equal(paper, page.Bitmap.Width);
        Assert.Equal(height + 3 * EscPosInterpreter.DefaultLineSpacing, page.Bitmap.Height);
        AssertPrintedAt(image, page.Bitmap);
        Assert.True(RowsAreWhite(page.Bitmap, height, page.Bitmap.Height), "the feed before the cut printed dots");
        Assert.Equal(CutMode.Full, page.Cut);
        Assert.Empty(printerSim.Violations);
    }

    [Fact]
    public void A_full_width_image_round_trips_dot_for_dot()
    {
        var printerSim = new EscPosInterpreter(384);
        using var printer = new EscPosPrinter(printerSim.Channel, new EscPosOptions { Cut = CutMode.Partial, FeedLinesBeforeCut = 0 });
        var image = Pattern(384, 400);
        printer.PrintRaster(image);
        printer.Cut();
        Assert.True(image.SameDots(Assert.Single(printerSim.Pages).Bitmap));
    }

    [Fact]
    public void Each_band_is_one_GS_v_0_command_no_taller_than_the_band_limit()
    {
        var recorder = new RecordingChannel();
        using var printer = new EscPosPrinter(recorder, new EscPosOptions { PaperWidthDots = 576, MaxBandRows = 100 });
        printer.PrintRaster(Pattern(576, 250));

        var bytes = recorder.Written.ToArray();
        var bands = new List<(int xBytes, int rows)>();
        for (int i = 0; i < bytes.Length;)
        {
            Assert.Equal(new byte[] { 0x1D, (byte)'v', (byte)'0', 0 }, bytes[i..(i + 4)]);
            int x = bytes[i + 4] | bytes[i + 5] << 8, y = bytes[i + 6] | bytes[i + 7] << 8;
            bands.Add((x, y));
            i += 8 + x * y;
        }
        Assert.Equal([(72, 100), (72, 100), (72, 50)], bands);
    }

    [Fact]
    public void Commands_split_into_single_bytes_are_decoded_the_same()
    {
        var recorder = new RecordingChannel();
        using (var printer = new EscPosPrinter(recorder, new EscPosOptions { FeedLinesBeforeCut = 1 }))
        {
            printer.Initialize();
            printer.PrintRaster(Pattern(384, 60));
            printer.Feed(1);
            printer.Cut();
        }
        var printerSim = new EscPosInterpreter(384);
        foreach (byte b in recorder.Written) printerSim.Receive([b]);
        var page = Assert.Single(printerSim.Pages);
        AssertPrintedAt(Pattern(384, 60), page.Bitmap);
        Assert.Empty(printerSim.Violations);
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, 2, 1)]
    [InlineData(2, 1, 2)]
    [InlineData(3, 2, 2)]
    [InlineData(51, 2, 2)]
    public void Raster_modes_scale_each_dot_to_double_width_or_height(byte mode, int sx, int sy)
    {
        var image = Pattern(96, 20);
        var printerSim = new EscPosInterpreter(384);
        printerSim.Receive([0x1D, (byte)'v', (byte)'0', mode, 12, 0, 20, 0, .. image.Data]);
        printerSim.Receive([0x1D, (byte)'V', 1]);

        var page = Assert.Single(printerSim.Pages).Bitmap;
        Assert.Equal(20 * sy, page.Height);
        for (int y = 0; y < page.Height; y++)
            for (int x = 0; x < 384; x++)
                Assert.Equal(x < 96 * sx && image[x / sx, y / sy], page[x, y]);
    }

    [Fact]
    public void A_24_dot_double_density_bit_image_prints_one_to_one_on_its_line()
    {
        // ESC * 33: 3 bytes per column, top dot in the high bit of the first byte.
        var printerSim = new EscPosInterpreter(384);
        byte[] columns = [0x80, 0x00, 0x01, 0xFF, 0xFF, 0xFF];
        printerSim.Receive([0x1B, (byte)'3', 24, 0x1B, (byte)'*', 33, 2, 0, .. columns, 0x0A, 0x1D, (byte)'V', 0]);

        var page = Assert.Single(printerSim.Pages).Bitmap;
        Assert.Equal(24, page.Height);
        Assert.True(page[0, 0] && page[0, 23]);
        Assert.Equal(2, Enumerable.Range(0, 24).Count(y => page[0, y]));
        Assert.Equal(24, Enumerable.Range(0, 24).Count(y => page[1, y]));
        Assert.False(page[2, 0]);
        Assert.Empty(printerSim.Violations);
    }

    [Fact]
    public void An_8_dot_single_density_bit_image_doubles_width_and_triples_height()
    {
        var printerSim = new EscPosInterpreter(384);
        printerSim.Receive([0x1B, (byte)'*', 0, 1, 0, 0x80, 0x0A, 0x1D, (byte)'V', 0]);
        var page = Assert.Single(printerSim.Pages).Bitmap;
        Assert.Equal(3 * 2, page.CountBlack());
        Assert.True(page[0, 0] && page[1, 0] && page[0, 2] && !page[0, 3] && !page[2, 0]);
    }

    [Fact]
    public void Unknown_and_malformed_commands_are_recorded_and_printing_goes_on()
    {
        var printerSim = new EscPosInterpreter(384);
        printerSim.Receive([0x1B, 0x7F]);                                  // unknown ESC
        printerSim.Receive([0x1D, (byte)'v', (byte)'0', 9, 1, 0, 1, 0]);   // bad raster mode
        printerSim.Receive([0x1D, (byte)'V', 7]);                          // bad cut
        printerSim.Receive([0x10, 0x04, 9]);                               // DLE EOT n out of range
        printerSim.Receive([0x1D, (byte)'v', (byte)'0', 0, 1, 0, 1, 0, 0xFF, 0x1D, (byte)'V', 1]);

        Assert.Collection(printerSim.Violations,
            v => Assert.Equal("byte 0: unknown command ESC 0x7F", v),
            v => Assert.Equal("byte 2: GS v 0: mode m=9 must be 0..3 or 48..51", v),
            v => Assert.Equal("byte 10: GS V 7: cut mode must be 0, 1, 48, 49, 65 or 66", v),
            v => Assert.Equal("byte 13: DLE EOT 9: n must be 1..4", v));
        Assert.Equal(8, Assert.Single(printerSim.Pages).Bitmap.CountBlack());
    }

    [Fact]
    public void Text_lines_are_logged_with_their_page_and_take_a_line_of_paper()
    {
        var printerSim = new EscPosInterpreter(384);
        printerSim.Receive([0x1B, (byte)'@', 0x1B, (byte)'!', 0x30, .. "BLESSING"u8, 0x0A, 0x1B, (byte)'!', 0, .. "thank you"u8, 0x0A, 0x1D, (byte)'V', 1]);

        Assert.Equal(["BLESSING", "thank you"], printerSim.TextLines);
        var page = Assert.Single(printerSim.Pages);
        Assert.Equal(["BLESSING", "thank you"], page.Text);
        Assert.Equal(48 + EscPosInterpreter.DefaultLineSpacing, page.Bitmap.Height); // double height, then a normal line
        Assert.Empty(printerSim.Violations);
    }

    [Fact]
    public void A_printed_page_saves_as_a_png_with_black_dots_where_the_image_was()
    {
        var printerSim = new EscPosInterpreter(384);
        using var printer = new EscPosPrinter(printerSim.Channel, new EscPosOptions { FeedLinesBeforeCut = 2 });
        using var gradient = new ImageBuffer(640, 400, PixelFormat.Gray8);
        for (int y = 0; y < gradient.Height; y++)
        {
            var row = gradient.Row(y);
            for (int x = 0; x < row.Length; x++) row[x] = (byte)(((x / 80 + y / 80) & 1) == 0 ? 255 * x / 639 : 255 - 255 * y / 399);
        }
        var card = Dither.ToBitmap(gradient, new DitherOptions { TargetWidth = 384 });
        Assert.True(printer.PrintJob(card).Complete);

        string path = Path.Combine(_folder, "page-1.png");
        printerSim.Pages[0].SavePng(path);

        using var decoded = new ImageBuffer();
        PngCodec.Decode(File.ReadAllBytes(path), decoded, PixelFormat.Gray8);
        Assert.Equal((384, card.Height + 2 * EscPosInterpreter.DefaultLineSpacing), (decoded.Width, decoded.Height));
        for (int y = 0; y < card.Height; y += 7)
            for (int x = 0; x < 384; x += 5)
                Assert.Equal(card[x, y] ? 0 : 255, decoded.Row(y)[x]);
    }
}
