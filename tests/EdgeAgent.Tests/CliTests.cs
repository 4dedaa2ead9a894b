using Edge.Agent.Cli;

namespace Edge.Agent.Tests;

public class CliTests
{
    [Fact]
    public void Unknown_command_exits_2_and_names_the_command()
    {
        var err = new StringWriter();
        int rc = EdgeCli.Run(["frobnicate"], new StringWriter(), err);
        Assert.Equal(2, rc);
        Assert.Contains("frobnicate", err.ToString());
    }
}
