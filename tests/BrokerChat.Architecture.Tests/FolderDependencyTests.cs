namespace BrokerChat.Architecture.Tests;

/// <summary>
/// The folders of the connector and of the functions follow a message's path, and no two of them depend on each
/// other: read from the compiled assemblies, so a new use across folders is caught whichever way it is written.
/// </summary>
public sealed class FolderDependencyTests
{
    [Fact]
    public void TheConnectorsFoldersDependOnEachOtherWithoutCycles() =>
        AssertNoCycles("BrokerChat.Connector");

    [Fact]
    public void TheFunctionsFoldersDependOnEachOtherWithoutCycles() =>
        AssertNoCycles("BrokerChat.Functions");

    [Fact]
    public void TheConnectorsFoldersAreTheOnesTheLayoutNames()
    {
        var graph = FolderGraph.Of(Repo.Assembly("BrokerChat.Connector"), "BrokerChat.Connector");
        var folders = graph.Edges.Keys.Concat(graph.Edges.Values.SelectMany(v => v)).ToHashSet(StringComparer.Ordinal);

        // The path of a frame in and of a delivery out, as README.md describes them.
        string[] path = ["Transport", "Endpoint", "Connections", "Requests", "Frames", "Inbound", "Outbound", "History", "Filters", "Groups", "Sessions"];
        Assert.All(path, folder => Assert.Contains(folder, folders));
    }

    [Fact]
    public void TheCycleFinderFindsFoldersThatDependOnEachOther()
    {
        var graph = new FolderGraph([("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"), ("D", "E"), ("E", "D"), ("F", "A")]);

        var cycles = graph.Cycles();

        Assert.Equal([["A", "B", "C"], ["D", "E"]], cycles.Select(c => c.ToArray()).ToArray());
    }

    [Fact]
    public void TheFolderGraphSeesUsesInsideMethodBodies()
    {
        // Endpoint's handler creates ClientRequest (Requests) only inside a method body.
        var graph = FolderGraph.Of(Repo.Assembly("BrokerChat.Connector"), "BrokerChat.Connector");

        Assert.Contains("Requests", graph.Edges["Endpoint"]);
        Assert.Contains("Connections", graph.Edges["Requests"]);
        Assert.DoesNotContain("Requests", graph.Edges.GetValueOrDefault("Connections") ?? []);
    }

    private static void AssertNoCycles(string assembly)
    {
        var graph = FolderGraph.Of(Repo.Assembly(assembly), assembly);
        var cycles = graph.Cycles();
        Repo.Report($"{assembly}: {graph.Edges.Count} folders that use others, {cycles.Count} cycles{Environment.NewLine}{graph.Describe()}");
        Assert.True(cycles.Count == 0, $"Folders that depend on each other:{Environment.NewLine}{graph.Describe()}");
    }
}
