using Edge.Agent.Devices;
using Edge.Agent.Devices.Linux;
using Edge.Agent.Interop.Linux;

namespace Edge.Agent.Tests.Devices;

// Expected values were printed by a C program compiled against <linux/gpio.h>, <linux/spi/spidev.h> and
// <linux/i2c-dev.h> on x86_64 (the asm-generic encoding arm64 shares).
public class LinuxUapiTests
{
    [Theory]
    [InlineData("gpiochip_info", 68)]
    [InlineData("gpio_v2_line_request", 592)]
    [InlineData("gpio_v2_line_config", 272)]
    [InlineData("gpio_v2_line_attribute", 16)]
    [InlineData("gpio_v2_line_config_attribute", 24)]
    [InlineData("gpio_v2_line_values", 16)]
    [InlineData("gpio_v2_line_event", 48)]
    [InlineData("spi_ioc_transfer", 32)]
    [InlineData("i2c_msg", 16)]
    [InlineData("i2c_rdwr_ioctl_data", 16)]
    public void Struct_sizes_equal_the_kernel_headers(string name, int expected)
    {
        int size = name switch
        {
            "gpiochip_info" => LinuxDeviceFile.SizeOf<gpiochip_info>(),
            "gpio_v2_line_request" => LinuxDeviceFile.SizeOf<gpio_v2_line_request>(),
            "gpio_v2_line_config" => LinuxDeviceFile.SizeOf<gpio_v2_line_config>(),
            "gpio_v2_line_attribute" => LinuxDeviceFile.SizeOf<gpio_v2_line_attribute>(),
            "gpio_v2_line_config_attribute" => LinuxDeviceFile.SizeOf<gpio_v2_line_config_attribute>(),
            "gpio_v2_line_values" => LinuxDeviceFile.SizeOf<gpio_v2_line_values>(),
            "gpio_v2_line_event" => LinuxDeviceFile.SizeOf<gpio_v2_line_event>(),
            "spi_ioc_transfer" => LinuxDeviceFile.SizeOf<spi_ioc_transfer>(),
            "i2c_msg" => LinuxDeviceFile.SizeOf<i2c_msg>(),
            "i2c_rdwr_ioctl_data" => LinuxDeviceFile.SizeOf<i2c_rdwr_ioctl_data>(),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        Assert.Equal(expected, size);
    }

    [Fact]
    public unsafe void Line_request_fields_sit_at_the_header_offsets()
    {
        var r = new gpio_v2_line_request();
        byte* b = (byte*)&r;
        Assert.Equal(288, (int)((byte*)&r.config - b));
        Assert.Equal(560, (int)((byte*)&r.num_lines - b));
        Assert.Equal(588, (int)((byte*)&r.fd - b));
        Assert.Equal(32, (int)((byte*)&r.config.attrs - (byte*)&r.config));
    }

    [Fact]
    public void Debounce_period_overlays_the_low_half_of_the_attribute_union()
    {
        var a = new gpio_v2_line_attribute { id = GpioUapi.GPIO_V2_LINE_ATTR_ID_DEBOUNCE, debounce_period_us = 10_000 };
        Assert.Equal(10_000UL, a.values);
    }

    [Fact]
    public void Ioctl_numbers_equal_the_kernel_macros()
    {
        Assert.Equal((nuint)0x8044B401, GpioUapi.GPIO_GET_CHIPINFO_IOCTL);
        Assert.Equal((nuint)0xC250B407, GpioUapi.GPIO_V2_GET_LINE_IOCTL);
        Assert.Equal((nuint)0xC110B40D, GpioUapi.GPIO_V2_LINE_SET_CONFIG_IOCTL);
        Assert.Equal((nuint)0xC010B40E, GpioUapi.GPIO_V2_LINE_GET_VALUES_IOCTL);
        Assert.Equal((nuint)0xC010B40F, GpioUapi.GPIO_V2_LINE_SET_VALUES_IOCTL);
        Assert.Equal((nuint)0x40206B00, SpiDevUapi.SPI_IOC_MESSAGE_1);
        Assert.Equal((nuint)0x40016B01, SpiDevUapi.SPI_IOC_WR_MODE);
        Assert.Equal((nuint)0x40046B04, SpiDevUapi.SPI_IOC_WR_MAX_SPEED_HZ);
        Assert.Equal((nuint)0x40016B03, SpiDevUapi.SPI_IOC_WR_BITS_PER_WORD);
        Assert.Equal((nuint)0x0703, I2cDevUapi.I2C_SLAVE);
        Assert.Equal((nuint)0x0707, I2cDevUapi.I2C_RDWR);
    }

    [Fact]
    public void Consumer_names_are_truncated_so_the_terminating_nul_fits()
    {
        var name = GpioName.From(new string('x', 40));
        Assert.Equal(new string('x', 31), name.ToString());
    }

    [Fact]
    public void Opening_a_missing_gpio_chip_names_the_path_and_the_fix()
    {
        var e = Assert.Throws<DeviceException>(() => new LinuxGpioChip("/dev/gpiochip99"));
        Assert.Contains("/dev/gpiochip99", e.Message);
        Assert.Contains("open", e.Message);
        Assert.Contains("overlay", e.Message);
    }

    [Fact]
    public void Opening_a_missing_spidev_names_the_path()
    {
        var e = Assert.Throws<DeviceException>(() => new LinuxSpiDevice("/dev/spidev9.9"));
        Assert.Contains("/dev/spidev9.9", e.Message);
    }

    [Fact]
    public void Opening_a_missing_i2c_bus_names_the_path()
    {
        var e = Assert.Throws<DeviceException>(() => LinuxI2cDevice.Open(99, 0x40));
        Assert.Contains("/dev/i2c-99", e.Message);
    }

    [Fact]
    public void A_permission_error_tells_which_group_to_join()
    {
        var e = LinuxDeviceError.Create("/dev/spidev0.0", "open", LinuxDeviceError.EACCES);
        Assert.Contains("spi group", e.Message);
        Assert.Contains("/dev/spidev0.0: open failed:", e.Message);
    }

    [Fact]
    public void An_ioctl_on_a_file_that_is_no_device_reports_the_operation()
    {
        // /dev/null opens but is no GPIO chip: GPIO_GET_CHIPINFO fails with ENOTTY.
        var e = Assert.Throws<DeviceException>(() => new LinuxGpioChip("/dev/null"));
        Assert.Contains("GPIO_GET_CHIPINFO", e.Message);
        Assert.Contains("/dev/null", e.Message);
    }

    [Fact]
    public void The_monotonic_clock_advances()
    {
        long a = LinuxDeviceFile.MonotonicNowNs();
        long b = LinuxDeviceFile.MonotonicNowNs();
        Assert.True(a > 0 && b >= a);
        // Same clock as Stopwatch on Linux, to within a second.
        Assert.InRange(Math.Abs(System.Diagnostics.Stopwatch.GetTimestamp() * (1e9 / System.Diagnostics.Stopwatch.Frequency) - b), 0, 1e9);
    }
}
