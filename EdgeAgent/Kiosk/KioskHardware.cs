using Edge.Agent.Config;
using Microsoft.Extensions.Logging;

namespace Edge.Agent.Kiosk;

/// <summary>
/// The kiosk's devices as the agent runs them: the parts the state machine drives and the same devices as the agent
/// watches them (health, alerts, retries). <see cref="Open"/> builds them from the config; tests build their own.
/// </summary>
public sealed class KioskHardware(IPresenceSensor presence, ICardCamera camera, IKioskDisplay display, ICardPrinter printer,
    IReadOnlyList<IKioskDevice> devices, IReadOnlyList<object>? owned = null) : IAsyncDisposable
{
    public IPresenceSensor Presence { get; } = presence;
    public ICardCamera Camera { get; } = camera;
    public IKioskDisplay Display { get; } = display;
    public ICardPrinter Printer { get; } = printer;
    /// <summary>The devices that can be missing, each with its path, problem and fix.</summary>
    public IReadOnlyList<IKioskDevice> Devices { get; } = devices;

    /// <summary>
    /// The devices a kiosk config names, not opened yet: the agent opens them on the kiosk's thread and keeps retrying
    /// those that are missing (<see cref="IKioskDevice.Maintain"/>), so nothing here throws for an absent device.
    /// </summary>
    public static KioskHardware Open(KioskConfig config, ILoggerFactory loggers)
    {
        var o = config.Options;
        var presence = new GpioPresenceSensor(o.Wiring);
        var camera = FrameSourceCardCamera.Create(config.Camera, loggers.CreateLogger("Edge.Kiosk.Camera"));
        var printer = new ReopeningCardPrinter(o.Wiring.Printer, o.PaperWidthDots);
        var devices = new List<IKioskDevice> { presence, camera, printer };
        IKioskDisplay display;
        if (o.Display == KioskDisplayKind.None) display = new NoKioskDisplay();
        else
        {
            var screen = new ReopeningKioskDisplay(o.Display, o.Wiring);
            devices.Add(screen);
            display = screen;
        }
        return new KioskHardware(presence, camera, display, printer, devices, [presence, camera, printer, display]);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var o in owned ?? [])
        {
            if (o is IAsyncDisposable a) await a.DisposeAsync();
            else if (o is IDisposable d) d.Dispose();
        }
    }
}

/// <summary>Makes the kiosk's hardware from its config (the agent's default is <see cref="KioskHardware.Open"/>).</summary>
public delegate KioskHardware KioskHardwareFactory(KioskConfig config, ILoggerFactory loggers);
