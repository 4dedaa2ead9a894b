namespace Edge.Agent.Tests.EndToEnd;

/// <summary>The end-to-end tests start brokers and agents that load models: one at a time on a 2-core machine.</summary>
[CollectionDefinition("agent end to end", DisableParallelization = true)]
public sealed class AgentEndToEndCollection;
