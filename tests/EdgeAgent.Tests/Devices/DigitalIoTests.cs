using Edge.Agent.Devices.DigitalIo;
using Edge.Agent.Devices.Simulation;

namespace Edge.Agent.Tests.Devices;

public class DigitalIoTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void A_bouncing_button_press_counts_once()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        chip.ScriptInput(17, (t0, true)); // released: pulled up
        using var button = new DigitalInput(chip, 17);
        // Contact bounce for 2 ms, then held for 100 ms, then a bouncy release.
        chip.ScriptInput(17,
            (t0 + 10 * Ms, false), (t0 + 10 * Ms + 300_000, true), (t0 + 10 * Ms + 900_000, false), (t0 + 11 * Ms, true), (t0 + 12 * Ms, false),
            (t0 + 112 * Ms, true), (t0 + 112 * Ms + 400_000, false), (t0 + 113 * Ms, true));

        Assert.True(button.TryWaitForPress(TimeSpan.FromMilliseconds(50), out long pressedAt));
        Assert.Equal(t0 + 12 * Ms + 10 * Ms, pressedAt); // stable for the 10 ms debounce after the last bounce
        Assert.True(button.IsActive);
        Assert.False(button.TryWaitForPress(TimeSpan.FromMilliseconds(500)));
        Assert.False(button.IsActive);
    }

    [Fact]
    public void Without_debounce_every_bounce_is_a_press()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        chip.ScriptInput(17, (t0, true));
        using var button = new DigitalInput(chip, 17, new DigitalInputOptions { Debounce = TimeSpan.Zero });
        chip.ScriptInput(17, (t0 + 10 * Ms, false), (t0 + 10 * Ms + 300_000, true), (t0 + 10 * Ms + 900_000, false));

        Assert.True(button.TryWaitForPress(TimeSpan.FromMilliseconds(50)));
        Assert.True(button.TryWaitForPress(TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void Waiting_for_a_press_that_never_comes_times_out_on_the_virtual_clock()
    {
        using var chip = new SimulatedGpioChip();
        using var eye = new DigitalInput(chip, 5);
        long t0 = chip.NowNs;
        Assert.False(eye.TryWaitForPress(TimeSpan.FromSeconds(3)));
        Assert.Equal(t0 + 3_000 * Ms, chip.NowNs);
    }

    [Fact]
    public void A_photo_eye_pulse_before_the_wait_is_not_missed()
    {
        using var chip = new SimulatedGpioChip();
        long t0 = chip.NowNs;
        chip.ScriptInput(5, (t0, true));
        using var eye = new DigitalInput(chip, 5, new DigitalInputOptions { Debounce = TimeSpan.FromMilliseconds(1) });
        chip.ScriptPulse(5, t0 + 5 * Ms, 20 * Ms, level: false);
        chip.Advance(TimeSpan.FromMilliseconds(100));

        Assert.True(eye.TryWaitForPress(TimeSpan.Zero, out long at));
        Assert.Equal(t0 + 6 * Ms, at);
    }

    [Fact]
    public void Invalid_debounce_is_refused_with_the_option_name()
    {
        using var chip = new SimulatedGpioChip();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DigitalInput(chip, 5, new DigitalInputOptions { Debounce = TimeSpan.FromSeconds(-1) }));
        Assert.Equal("Debounce", e.ParamName);
    }

    [Fact]
    public void A_pulse_returns_at_once_and_its_length_is_recorded_in_the_history()
    {
        using var chip = new SimulatedGpioChip();
        using var reject = new DigitalOutput(chip, 22);
        long t0 = chip.NowNs;
        reject.Pulse(TimeSpan.FromMilliseconds(150));

        Assert.Equal(t0, chip.NowNs); // returned without waiting
        Assert.True(reject.IsOn);
        Assert.Equal(t0 + 150 * Ms, reject.PulseEndsAtNs);
        chip.Advance(TimeSpan.FromSeconds(1));

        Assert.False(reject.IsOn);
        Assert.Equal([(t0, false), (t0, true), (t0 + 150 * Ms, false)], chip.History(22));
    }

    [Fact]
    public void A_new_pulse_restarts_the_period()
    {
        using var chip = new SimulatedGpioChip();
        using var buzzer = new DigitalOutput(chip, 22);
        long t0 = chip.NowNs;
        buzzer.Pulse(TimeSpan.FromMilliseconds(100));
        chip.Advance(TimeSpan.FromMilliseconds(50));
        buzzer.Pulse(TimeSpan.FromMilliseconds(100));
        chip.Advance(TimeSpan.FromMilliseconds(80));
        Assert.True(buzzer.IsOn);
        chip.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal([(t0, false), (t0, true), (t0 + 150 * Ms, false)], chip.History(22));
    }

    [Fact]
    public void An_active_low_relay_is_driven_low_to_switch_on_and_released_high()
    {
        using var chip = new SimulatedGpioChip();
        var relay = new DigitalOutput(chip, 26, activeLow: true);
        Assert.True(chip.GetLevel(26));
        relay.On();
        Assert.False(chip.GetLevel(26));
        Assert.True(relay.IsOn);
        relay.Dispose();
        Assert.True(chip.GetLevel(26));
        Assert.False(chip.IsRequested(26));
    }

    [Fact]
    public void Switching_off_cancels_a_running_pulse()
    {
        using var chip = new SimulatedGpioChip();
        using var led = new DigitalOutput(chip, 22);
        long t0 = chip.NowNs;
        led.Pulse(TimeSpan.FromMilliseconds(100));
        chip.Advance(TimeSpan.FromMilliseconds(10));
        led.Off();
        chip.Advance(TimeSpan.FromMilliseconds(10));
        led.On();
        chip.Advance(TimeSpan.FromMilliseconds(200));

        Assert.True(led.IsOn);
        Assert.Equal([(t0, false), (t0, true), (t0 + 10 * Ms, false), (t0 + 20 * Ms, true)], chip.History(22));
    }
}
