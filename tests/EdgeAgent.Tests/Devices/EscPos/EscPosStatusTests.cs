using System.Diagnostics;
using Edge.Agent.Devices.EscPos;
using Edge.Agent.Devices.Simulation;
using static Edge.Agent.Tests.Devices.EscPos.EscPosTestImages;

namespace Edge.Agent.Tests.Devices.EscPos;

public sealed class EscPosStatusTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private static (EscPosInterpreter sim, EscPosPrinter printer) Make(int paper = 384) =>
        new EscPosInterpreter(paper) is var sim
            ? (sim, new EscPosPrinter(sim.Channel, new EscPosOptions { PaperWidthDots = paper, StatusTimeout = TimeSpan.FromMilliseconds(300) }))
            : default;

    [Fact]
    public void A_ready_printer_answers_the_four_status_queries_with_nothing_wrong()
    {
        var (_, printer) = Make();
        var status = printer.QueryStatus(Timeout);
        Assert.True(status.IsReady);
        Assert.Equal([0x12, 0x12, 0x12, 0x12], status.Raw);
        Assert.Null(status.Reason);
    }

    [Fact]
    public void Paper_out_is_reported_as_paper_end_and_offline()
    {
        var (sim, printer) = Make();
        sim.PaperOut = true;
        var status = printer.QueryStatus(Timeout);
        Assert.True(status is { PaperOut: true, Offline: true, CoverOpen: false, IsReady: false });
        Assert.Equal([0x1A, 0x32, 0x12, 0x7E], status.Raw);
        Assert.Equal("paper out", status.Reason);
    }

    [Fact]
    public void An_open_cover_is_reported_as_cover_open_and_offline()
    {
        var (sim, printer) = Make();
        sim.CoverOpen = true;
        var status = printer.QueryStatus(Timeout);
        Assert.True(status is { CoverOpen: true, Offline: true, PaperOut: false, IsReady: false });
        Assert.Equal([0x1A, 0x16, 0x12, 0x12], status.Raw);
        Assert.Equal("cover open", status.Reason);
    }

    [Fact]
    public void Paper_near_end_is_reported_but_the_printer_stays_ready()
    {
        var (sim, printer) = Make();
        sim.PaperNearEnd = true;
        var status = printer.QueryStatus(Timeout);
        Assert.True(status is { PaperNearEnd: true, PaperOut: false, IsReady: true });
        Assert.Equal(0x1E, status.Raw[3]);
        Assert.Equal("paper near end", status.Reason);
    }

    [Fact]
    public void A_silent_printer_is_reported_offline_with_no_reply_within_the_timeout()
    {
        var (sim, printer) = Make();
        sim.Offline = true;
        var clock = Stopwatch.StartNew();
        var status = printer.QueryStatus(TimeSpan.FromMilliseconds(200));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(2));
        Assert.True(status is { Offline: true, IsReady: false });
        Assert.Equal("no reply", status.Reason);
        Assert.Empty(status.Raw);
    }

    [Theory]
    [InlineData(new byte[] { 0x12, 0x52, 0x12, 0x12 }, "error")]              // n=2 bit 6: error occurred
    [InlineData(new byte[] { 0x12, 0x12, 0x1A, 0x12 }, "error")]              // n=3 bit 3: autocutter error
    [InlineData(new byte[] { 0x12, 0x1A, 0x12, 0x12 }, null)]                 // n=2 bit 3: feed button held
    [InlineData(new byte[] { 0x1A, 0x12, 0x12, 0x12 }, "offline")]
    [InlineData(new byte[] { 0x1A, 0x36, 0x12, 0x7E }, "paper out, cover open")]
    public void Status_bytes_from_the_manual_decode_to_the_named_problems(byte[] raw, string? reason)
    {
        var status = PrinterStatus.Parse(raw[0], raw[1], raw[2], raw[3]);
        Assert.Equal(reason, status.Reason);
        Assert.Equal(raw, status.Raw);
    }

    [Fact]
    public void Automatic_status_back_bytes_are_not_taken_for_status_replies()
    {
        var (sim, printer) = Make();
        sim.Receive([0x1D, (byte)'a', 0xFF]); // enable ASB: the printer sends 4 bytes now and on every change
        sim.CoverOpen = true;                 // ...and 4 more
        var status = printer.QueryStatus(Timeout);
        Assert.Equal([0x1A, 0x16, 0x12, 0x12], status.Raw);
        Assert.True(EscPosCommands.IsRealTimeStatusByte(0x12));
        Assert.False(EscPosCommands.IsRealTimeStatusByte(0x38)); // ASB first byte: offline + cover open
    }

    [Fact]
    public void A_print_job_is_refused_when_the_paper_is_out_and_the_exception_says_why()
    {
        var (sim, printer) = Make();
        sim.PaperOut = true;
        var e = Assert.Throws<PrinterNotReadyException>(() => printer.PrintJob(Pattern(384, 50)));
        Assert.True(e.Status.PaperOut);
        Assert.Equal("printer simulated ESC/POS printer (384 dots) is not ready: paper out; load a new paper roll", e.Message);
        Assert.Empty(sim.Pages);
        Assert.Equal(0, sim.CurrentPageRows);
    }

    [Fact]
    public void A_print_job_is_refused_when_the_cover_is_open_and_the_exception_says_why()
    {
        var (sim, printer) = Make();
        sim.CoverOpen = true;
        var e = Assert.Throws<PrinterNotReadyException>(() => printer.PrintJob(Pattern(384, 50)));
        Assert.True(e.Status.CoverOpen);
        Assert.Contains("cover open; close the paper cover", e.Message);
        Assert.Empty(sim.Pages);
    }

    [Fact]
    public void A_print_job_is_refused_when_the_printer_does_not_answer()
    {
        var (sim, printer) = Make();
        sim.Offline = true;
        var e = Assert.Throws<PrinterNotReadyException>(() => printer.PrintJob(Pattern(384, 50)));
        Assert.Equal("no reply", e.Status.Reason);
        Assert.Contains("check the printer is switched on", e.Message);
    }

    [Fact]
    public void Paper_running_out_in_the_middle_of_a_job_is_reported_and_the_page_is_marked_truncated()
    {
        var (sim, printer) = Make();
        sim.PaperRowsLeft = 100;
        var card = Pattern(384, 300);

        var result = printer.PrintJob(card);

        Assert.False(result.Complete);
        Assert.True(result.Before.IsReady);
        Assert.True(result.After.PaperOut);
        Assert.Equal("paper ran out during the job; the card is incomplete", result.Problem);
        var page = Assert.Single(sim.Pages);
        Assert.True(page.Truncated);
        Assert.Equal(100, page.Bitmap.Height);
        AssertPrintedAt(card.CopyRows(0, 100), page.Bitmap);
        Assert.Equal(200 + 4 * EscPosInterpreter.DefaultLineSpacing, sim.RowsNotPrinted);
    }

    [Fact]
    public void A_successful_job_feeds_cuts_and_reports_ready_after()
    {
        var (sim, printer) = Make(576);
        var result = printer.PrintJob(Pattern(576, 90));
        Assert.True(result.Complete);
        Assert.Null(result.Problem);
        Assert.Equal(CutMode.Partial, Assert.Single(sim.Pages).Cut);
        Assert.False(sim.Pages[0].Truncated);
    }

    [Theory]
    [InlineData(400, "PaperWidthDots must be 384 (58 mm paper) or 576 (80 mm paper), not 400")]
    [InlineData(512, "PaperWidthDots must be 384 (58 mm paper) or 576 (80 mm paper), not 512")]
    public void Paper_widths_other_than_58_and_80_mm_are_rejected_with_a_clear_message(int width, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EscPosPrinter(new RecordingChannel(), new EscPosOptions { PaperWidthDots = width }));
        Assert.Equal("PaperWidthDots", e.ParamName);
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Bands_shorter_than_24_rows_are_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EscPosPrinter(new RecordingChannel(), new EscPosOptions { MaxBandRows = 8 }));
        Assert.Equal("MaxBandRows", e.ParamName);
    }

    [Fact]
    public void An_image_wider_than_the_paper_is_refused_before_anything_is_sent()
    {
        var recorder = new RecordingChannel();
        using var printer = new EscPosPrinter(recorder, new EscPosOptions());
        var e = Assert.Throws<ArgumentException>(() => printer.PrintRaster(Pattern(576, 10)));
        Assert.Contains("576 dots wide but the paper takes 384", e.Message);
        Assert.Empty(recorder.Written);
    }

    [Fact]
    public void Cut_sends_GS_V_0_for_full_GS_V_1_for_partial_and_nothing_when_off()
    {
        byte[] Sent(CutMode mode)
        {
            var recorder = new RecordingChannel();
            new EscPosPrinter(recorder, new EscPosOptions { Cut = mode }).Cut();
            return recorder.Written.ToArray();
        }
        Assert.Equal([0x1D, 0x56, 0], Sent(CutMode.Full));
        Assert.Equal([0x1D, 0x56, 1], Sent(CutMode.Partial));
        Assert.Empty(Sent(CutMode.None));
    }
}
