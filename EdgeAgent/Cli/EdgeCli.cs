namespace Edge.Agent.Cli;

/// <summary>The <c>edge</c> command line: dispatches sub-commands.</summary>
public static class EdgeCli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        stderr.WriteLine($"edge: unknown command '{args[0]}'\n{Usage}");
        return 2;
    }

    public const string Usage = """
        usage: edge <command> [options]

        commands:
          ocr IMAGE|DIR... [--json]   read text from images
          bench ocr [IMAGES]          time the OCR pipeline against the raw model time
        """;
}
