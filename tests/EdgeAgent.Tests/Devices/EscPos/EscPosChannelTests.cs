using System.Net;
using System.Net.Sockets;
using Edge.Agent.Devices;
using Edge.Agent.Devices.Channels;
using Edge.Agent.Devices.EscPos;
using Edge.Agent.Devices.Simulation;
using Edge.Agent.Interop.Linux;
using static Edge.Agent.Tests.Devices.EscPos.EscPosTestImages;

namespace Edge.Agent.Tests.Devices.EscPos;

public sealed class EscPosChannelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    [Fact]
    public void A_card_prints_over_tcp_through_the_simulated_network_printer()
    {
        using var sim = new EscPosTcpSimulator(576);
        using var channel = new TcpChannel(sim.Host, sim.Port);
        using var printer = new EscPosPrinter(channel, new EscPosOptions { PaperWidthDots = 576, StatusTimeout = Timeout });
        var card = Pattern(576, 333);

        var result = printer.PrintJob(card);

        Assert.True(result.Complete, result.Problem);
        AssertPrintedAt(card, Assert.Single(sim.Pages).Bitmap);
    }

    [Fact]
    public void A_stopped_tcp_printer_raises_a_device_exception_naming_host_and_port_and_works_again_after_restart()
    {
        using var sim = new EscPosTcpSimulator();
        using var channel = new TcpChannel(sim.Host, sim.Port);
        using var printer = new EscPosPrinter(channel, new EscPosOptions { StatusTimeout = Timeout });
        Assert.True(printer.QueryStatus(Timeout).IsReady);

        sim.Stop();
        var e = Assert.ThrowsAny<DeviceException>(() => printer.QueryStatus(Timeout));
        Assert.Contains($"127.0.0.1:{sim.Port}", e.Message);
        Assert.False(channel.IsConnected);
        var refused = Assert.ThrowsAny<DeviceException>(() => printer.QueryStatus(Timeout));
        Assert.Contains($"cannot reach the printer at 127.0.0.1:{sim.Port}", refused.Message);

        sim.Start();
        var result = printer.PrintJob(Pattern(384, 40));
        Assert.True(result.Complete, result.Problem);
        Assert.Equal(2, sim.Sessions.Count);
        Assert.Single(sim.Pages);
    }

    [Fact]
    public void Faults_injected_into_a_tcp_session_reach_the_driver()
    {
        using var sim = new EscPosTcpSimulator { ConfigureSession = p => p.PaperOut = true };
        using var channel = new TcpChannel(sim.Host, sim.Port);
        using var printer = new EscPosPrinter(channel, new EscPosOptions { StatusTimeout = Timeout });
        var e = Assert.Throws<PrinterNotReadyException>(() => printer.PrintJob(Pattern(384, 40)));
        Assert.True(e.Status.PaperOut);
    }

    [Fact]
    public void An_unreachable_tcp_printer_is_named_by_host_and_port()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var channel = new TcpChannel("127.0.0.1", port, connectTimeout: TimeSpan.FromSeconds(2));
        var e = Assert.Throws<DeviceException>(() => channel.Write([0x1B, 0x40]));
        Assert.StartsWith($"cannot reach the printer at 127.0.0.1:{port}", e.Message);
    }

    [Fact]
    public void A_serial_channel_on_a_pseudo_terminal_moves_bytes_both_ways()
    {
        using var master = Termios.OpenPseudoTerminal(out string slavePath);
        using var serial = new SerialChannel(slavePath, 115200);
        Assert.Equal($"serial {slavePath} at 115200 8N1", serial.Description);

        byte[] toPrinter = [0x1B, 0x40, 0x10, 0x04, 0x01, 0x00, 0xFF, 0x0A, 0x0D];
        serial.Write(toPrinter);
        Assert.Equal(toPrinter, ReadExactly(master, toPrinter.Length));

        byte[] fromPrinter = [0x12, 0x00, 0x7E, 0x0A, 0x0D, 0x11, 0x13];
        Assert.Equal(fromPrinter.Length, Termios.Write(master, fromPrinter, out _));
        var received = new List<byte>();
        var buffer = new byte[16];
        while (received.Count < fromPrinter.Length)
        {
            int n = serial.Read(buffer, Timeout);
            Assert.True(n > 0, $"serial read timed out after {received.Count} bytes");
            received.AddRange(buffer[..n]);
        }
        Assert.Equal(fromPrinter, received);
        Assert.Equal(0, serial.Read(buffer, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task A_print_job_over_a_serial_line_reaches_the_interpreter_and_its_status_comes_back()
    {
        using var master = Termios.OpenPseudoTerminal(out string slavePath);
        using var serial = new SerialChannel(slavePath, 19200);
        var sim = new EscPosInterpreter(384);
        using var stop = new CancellationTokenSource();
        // The far end of the cable: bytes from the pty master go into the interpreter, its replies go back.
        var wire = Task.Run(() =>
        {
            var buffer = new byte[4096];
            var replies = new byte[64];
            while (!stop.IsCancellationRequested)
            {
                if (Termios.PollOne(master, Termios.POLLIN, 50, out _) > 0)
                {
                    int n = Termios.Read(master, buffer, out _);
                    if (n > 0) sim.Receive(buffer.AsSpan(0, n));
                }
                int r;
                while ((r = sim.TakeReplies(replies)) > 0) Termios.Write(master, replies.AsSpan(0, r), out _);
            }
        });
        using var printer = new EscPosPrinter(serial, new EscPosOptions { StatusTimeout = Timeout });
        var card = Pattern(384, 80);

        var result = printer.PrintJob(card);

        stop.Cancel();
        await wire.WaitAsync(Timeout);
        Assert.True(result.Complete, result.Problem);
        AssertPrintedAt(card, Assert.Single(sim.Pages).Bitmap);
    }

    [Fact]
    public void A_missing_serial_port_is_named_and_odd_baud_rates_are_refused()
    {
        var missing = Assert.Throws<DeviceException>(() => new SerialChannel("/dev/ttyEDGE-missing", 9600));
        Assert.StartsWith("serial port /dev/ttyEDGE-missing does not exist", missing.Message);
        var baud = Assert.Throws<ArgumentOutOfRangeException>(() => new SerialChannel("/dev/ttyEDGE-missing", 12345));
        Assert.Contains("9600, 19200, 38400, 57600, 115200", baud.Message);
    }

    [Fact]
    public void A_missing_usb_printer_device_names_the_path_and_the_fix()
    {
        var e = Assert.Throws<DeviceException>(() => new DeviceFileChannel("/dev/usb/lp9"));
        Assert.StartsWith("/dev/usb/lp9 does not exist", e.Message);
        Assert.Contains("usblp", e.Message);
    }

    [Fact]
    public void A_device_file_channel_writes_the_printer_bytes_unchanged()
    {
        string path = Path.GetTempFileName();
        try
        {
            using (var channel = new DeviceFileChannel(path))
            using (var printer = new EscPosPrinter(channel, new EscPosOptions()))
            {
                printer.Initialize();
                printer.PrintRaster(Pattern(384, 30));
                printer.Cut();
                channel.Flush();
            }
            var sim = new EscPosInterpreter(384);
            sim.Receive(File.ReadAllBytes(path));
            AssertPrintedAt(Pattern(384, 30), Assert.Single(sim.Pages).Bitmap);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] ReadExactly(TtyHandle fd, int count)
    {
        var result = new List<byte>();
        var buffer = new byte[256];
        while (result.Count < count)
        {
            Assert.True(Termios.PollOne(fd, Termios.POLLIN, (int)Timeout.TotalMilliseconds, out _) > 0, $"pty master got {result.Count} of {count} bytes");
            int n = Termios.Read(fd, buffer, out int errno);
            Assert.True(n > 0, $"read from pty master failed: errno {errno}");
            result.AddRange(buffer[..n]);
        }
        return result.ToArray();
    }
}
