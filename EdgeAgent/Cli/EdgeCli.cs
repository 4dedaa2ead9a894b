using Edge.Models.Onnx;

namespace Edge.Agent.Cli;

/// <summary>The <c>edge</c> command line: dispatches sub-commands and turns errors into exit codes.</summary>
public static class EdgeCli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "ocr" when rest.Contains("--help") => Help(stdout, OcrCommand.Usage),
                "ocr" => OcrCommand.Run(rest, stdout, stderr),
                "detect" => rest.Contains("--help") ? Help(stdout, DetectCommand.Usage) : DetectCommand.Run(rest, stdout, stderr),
                "bench" when rest.Length > 0 && rest[0] == "ocr" => rest.Contains("--help") ? Help(stdout, BenchOcrCommand.Usage) : BenchOcrCommand.Run(rest[1..], stdout, stderr),
                "bench" when rest.Length > 0 && rest[0] == "mqtt" => rest.Contains("--help") ? Help(stdout, BenchMqttCommand.Usage) : BenchMqttCommand.Run(rest[1..], stdout, stderr),
                "bench" when rest.Length > 0 && rest[0] == "pipeline" => rest.Contains("--help") ? Help(stdout, BenchPipelineCommand.Usage) : BenchPipelineCommand.Run(rest[1..], stdout, stderr),
                "bench" when rest.Length > 0 && rest[0] == "detect" => rest.Contains("--help") ? Help(stdout, BenchDetectCommand.Usage) : BenchDetectCommand.Run(rest[1..], stdout, stderr),
                "bench" => throw new UsageException("edge bench needs a target: ocr, mqtt, pipeline, detect"),
                "inspect" => rest.Contains("--help") ? Help(stdout, InspectCommand.Usage) : InspectCommand.Run(rest, stdout, stderr),
                "run" => rest.Contains("--help") ? Help(stdout, RunCommand.Usage) : RunCommand.Run(rest, stdout, stderr),
                "doctor" => rest.Contains("--help") ? Help(stdout, DoctorCommand.Usage) : DoctorCommand.Run(rest, stdout, stderr),
                "kiosk" => rest.Contains("--help") ? Help(stdout, KioskCommand.Usage) : KioskCommand.Run(rest, stdout, stderr),
                "samples" => rest.Contains("--help") ? Help(stdout, SamplesCommand.Usage) : SamplesCommand.Run(rest, stdout, stderr),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"edge: {e.Message}\n\n{Usage}");
            return 2;
        }
        catch (Exception e) when (e is OnnxRuntimeNotFoundException or FileNotFoundException or OnnxRuntimeException
                                   or InvalidDataException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"edge: {e.Message}");
            return 1;
        }
    }

    private static int Help(TextWriter stdout, string usage)
    {
        stdout.WriteLine(usage);
        return 0;
    }

    public const string Usage = """
        usage: edge <command> [options]

        commands:
          run [--config FILE]            run the agent (pipelines, MQTT, /healthz, /metrics)
          ocr IMAGE|DIR... [--json]      read text from images
          detect --model M IMAGE|DIR...  find objects in images (YOLOv5/v8, PaddleDetection)
          bench ocr [IMAGES|DIR...]      time the OCR pipeline against the raw model time
          bench mqtt                     events/s through the durable outbox to a local mosquitto
          bench pipeline [DIR]           frames/s and per-stage time, images → OCR → MQTT
          bench detect [--model NAME]    FP32 vs INT8 detector: latency, FPS, overhead, bytes/frame, mAP@0.5
          inspect --sim [--parts N]      factory-line inspection on a synthetic conveyor (GPIO simulator)
          doctor [--config FILE]         check libraries, models, config, devices, broker, TLS
          samples ocr --out DIR          write the project's rendered OCR evaluation set
          kiosk --sim --out DIR          run the festival kiosk on simulators with scripted guests
        run 'edge <command> --help' for a command's options
        """;
}
