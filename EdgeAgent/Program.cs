namespace Edge.Agent;

public static class Program
{
    public static int Main(string[] args) => Cli.EdgeCli.Run(args, Console.Out, Console.Error);
}
