using Edge.Agent.Devices.Simulation;
using Sensor = Edge.Agent.Devices.Hcsr04.Hcsr04;

namespace Edge.Agent.Tests.Devices;

public class Hcsr04Tests
{
    private const int Trigger = 23, Echo = 24;

    private static (SimulatedGpioChip Chip, Hcsr04Echo Echo, Sensor Sensor) Rig()
    {
        var chip = new SimulatedGpioChip();
        var echo = new Hcsr04Echo(chip, Trigger, Echo);
        var sensor = new Sensor(chip, Trigger, Echo, shouldDispose: true);
        return (chip, echo, sensor);
    }

    public static TheoryData<double> Distances()
    {
        var data = new TheoryData<double>();
        foreach (double d in new[] { 2.0, 2.5, 3.0, 5.0, 7.3, 10.0, 17.5, 25.0, 42.0, 50.0, 77.7, 100.0, 123.4, 150.0, 200.0, 250.0, 299.9, 333.3, 350.0, 380.0, 399.0, 400.0 })
            data.Add(d);
        return data;
    }

    [Theory]
    [MemberData(nameof(Distances))]
    public void Distance_from_the_echo_width_is_within_one_centimetre(double centimetres)
    {
        var (chip, echo, sensor) = Rig();
        using (sensor)
        {
            echo.ScriptDistances(centimetres);
            Assert.True(sensor.TryGetDistance(out double measured), $"no reading for {centimetres} cm (echo width {echo.LastEchoWidthNs} ns)");
            Assert.InRange(measured, centimetres - 1, centimetres + 1);
        }
        Assert.Equal(0, chip.PendingCount);
    }

    [Fact]
    public void A_sweep_of_readings_in_a_row_stays_within_one_centimetre()
    {
        var (_, echo, sensor) = Rig();
        using (sensor)
        {
            var distances = Enumerable.Range(0, 80).Select(i => 2 + i * 398.0 / 79).ToArray();
            echo.ScriptDistances(distances.Select(d => (double?)d).ToArray());
            foreach (double d in distances)
            {
                Assert.True(sensor.TryGetDistance(out double measured), $"no reading for {d} cm");
                Assert.InRange(measured, d - 1, d + 1);
            }
            Assert.Equal(80, echo.TriggerCount);
        }
    }

    [Fact]
    public void The_trigger_pulse_lasts_ten_microseconds()
    {
        var (chip, echo, sensor) = Rig();
        using (sensor)
        {
            echo.ScriptDistances(100);
            Assert.True(sensor.TryGetDistance(out _));
            var history = chip.History(Trigger);
            Assert.Equal(3, history.Count);
            Assert.Equal(10_000, history[2].TimeNs - history[1].TimeNs);
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(450.0)]
    public void Distances_outside_two_centimetres_to_four_metres_are_rejected(double centimetres)
    {
        var (_, echo, sensor) = Rig();
        using (sensor)
        {
            echo.ScriptDistances(centimetres);
            Assert.False(sensor.TryGetDistance(out double measured));
            Assert.True(double.IsNaN(measured));
        }
    }

    [Fact]
    public void Nothing_in_range_gives_a_38_ms_pulse_which_is_rejected()
    {
        var (_, echo, sensor) = Rig();
        using (sensor)
        {
            echo.ScriptDistances((double?)null);
            Assert.False(sensor.TryGetDistance(out _));
            Assert.Equal(38_000_000, sensor.LastEchoWidthNs);
        }
    }

    [Fact]
    public void No_echo_at_all_times_out_after_sixty_milliseconds_of_virtual_time()
    {
        var (chip, echo, sensor) = Rig();
        using (sensor)
        {
            echo.SilentWhenNothingInRange = true;
            long before = chip.NowNs;
            Assert.False(sensor.TryGetDistance(out _));
            Assert.Null(sensor.LastEchoWidthNs);
            Assert.InRange(chip.NowNs - before, 60_000_000, 60_100_000);
        }
    }

    [Fact]
    public void The_median_filter_rejects_an_outlier()
    {
        var (_, echo, sensor) = Rig();
        using (sensor)
        {
            echo.ScriptDistances(100, 101, 250, 99, 100);
            Assert.True(sensor.MedianDistance(5, out double cm));
            Assert.InRange(cm, 99.5, 100.5);
        }
    }

    [Fact]
    public void The_median_fails_when_most_measurements_fail()
    {
        var (_, echo, sensor) = Rig();
        using (sensor)
        {
            echo.ScriptDistances(100, null, null);
            Assert.False(sensor.MedianDistance(3, out _));
        }
    }

    [Fact]
    public void Temperature_compensation_follows_the_air_the_sound_travels_through()
    {
        var (_, echo, sensor) = Rig();
        using (sensor)
        {
            echo.TemperatureCelsius = 0;
            echo.ScriptDistances(200, 200);
            Assert.True(sensor.TryGetDistance(out double assuming20));
            sensor.TemperatureCelsius = 0;
            Assert.True(sensor.TryGetDistance(out double compensated));
            Assert.True(assuming20 > 206, $"uncompensated reading {assuming20}");
            Assert.InRange(compensated, 199, 201);
        }
    }

    [Fact]
    public void The_speed_of_sound_at_twenty_degrees_is_343_point_2_metres_per_second()
    {
        Assert.Equal(343.2, Sensor.SpeedOfSound(20), 1);
    }

    [Fact]
    public void Consecutive_measurements_are_spaced_by_the_sixty_millisecond_cycle()
    {
        var (chip, echo, sensor) = Rig();
        using (sensor)
        {
            echo.ScriptDistances(50, 50);
            Assert.True(sensor.TryGetDistance(out _));
            Assert.True(sensor.TryGetDistance(out _));
            var rises = chip.History(Trigger).Where(h => h.Value).Select(h => h.TimeNs).ToArray();
            Assert.True(rises[1] - rises[0] >= 60_000_000, $"triggers {rises[1] - rises[0]} ns apart");
        }
    }
}
