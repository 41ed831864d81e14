namespace BrokerChat.EndToEnd.Tests;

/// <summary>The test classes that share one <see cref="PipelineFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "Pipeline";
}
