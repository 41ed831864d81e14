using System.Text.Json.Nodes;
using BrokerChat.Connector.Connections;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// The Azure Web PubSub JavaScript client from npm, on Node, against BrokerChat: an application written for Azure runs
/// unchanged, with the newest release (<c>@azure/web-pubsub-client</c> 1.1.0) and with 1.0.4 (under the npm alias
/// <c>web-pubsub-client-1.0.4</c>). Every run checks the version the script loaded. The npm packages are installed
/// from the lock file in <c>tests/js</c> on first use.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class JavaScriptClientTests(PipelineFixture fixture)
{
    internal static readonly NodeScripts Scripts = NodeScripts.InRepository(typeof(JavaScriptClientTests).Assembly);

    [Theory(Timeout = 240_000)]
    [InlineData(NodeScripts.NewestClient, "1.1.0")]
    [InlineData(NodeScripts.Client104, "1.0.4")]
    public async Task JsonProtocolClientConnectsJoinsSendsReceivesAndSeesDuplicates(string package, string version)
    {
        var ct = TestContext.Current.CancellationToken;
        await EnsureInstalledAsync(ct);

        var (exitCode, output, errors) = await RunAsync("node", ["web-pubsub-client.mjs", fixture.Host.BaseUri.ToString(), HubFor("jsclient", version), package], TimeSpan.FromSeconds(60), ct);

        Assert.True(exitCode == 0, $"node exited with {exitCode}: {errors}");
        var result = JsonNode.Parse(output)!.AsObject();
        AssertLoaded(package, version, result);
        Assert.False(string.IsNullOrEmpty((string?)result["connectionId"]));
        Assert.Equal("alice", (string?)result["userId"]);
        Assert.Equal([true, true, true, true], result["acked"]!.AsArray().Select(a => (bool)a!));
        Assert.Equal([false, true], result["duplicated"]!.AsArray().Select(a => (bool)a!));
        var received = result["received"]!.AsArray();
        Assert.Equal(4, received.Count); // the repeated send was not delivered again
        Assert.All(received, m => Assert.Equal(("room", "alice"), ((string?)m!["group"], (string?)m["fromUserId"])));
        Assert.Equal(("text", "hello"), ((string?)received[0]!["dataType"], (string?)received[0]!["data"]));
        Assert.Equal(("json", """{"n":1}"""), ((string?)received[1]!["dataType"], received[1]!["data"]!.ToJsonString()));
        Assert.Equal(("binary", "[1,2,3]"), ((string?)received[2]!["dataType"], received[2]!["data"]!.ToJsonString()));
        Assert.Equal(("text", "once"), ((string?)received[3]!["dataType"], (string?)received[3]!["data"]));
    }

    [Theory(Timeout = 240_000)]
    [InlineData(NodeScripts.NewestClient, "1.1.0")]
    [InlineData(NodeScripts.Client104, "1.0.4")]
    public async Task ReliableClientRecoversAConnectionTheServerDroppedWithNothingLostOrRepeated(string package, string version)
    {
        var ct = TestContext.Current.CancellationToken;
        await EnsureInstalledAsync(ct);
        const int count = 8;
        var hub = HubFor("jsrecovery", version);
        using var node = Scripts.Start("node", ["web-pubsub-recovery.mjs", fixture.Host.BaseUri.ToString(), hub, count.ToString(System.Globalization.CultureInfo.InvariantCulture), package]);
        var errors = node.StandardError.ReadToEndAsync(ct);
        var ready = await node.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.True(ready?.StartsWith("ready ", StringComparison.Ordinal) == true, $"node said '{ready}': {(node.HasExited ? await errors : "")}");
        var connectionId = ready!["ready ".Length..];
        var connections = fixture.Host.Services.GetRequiredService<ConnectionIndex>();
        Assert.True(connections.TryGet(connectionId, out var session));

        await using var sender = await fixture.Host.ConnectAsync(hub, "dave", ct);
        for (var n = 1; n <= count; n++)
        {
            Assert.True((await sender.SendToGroupAsync("room", new JsonObject { ["n"] = n }, cancellationToken: ct))!.Success);
            if (n == count / 2)
            {
                // Half the messages are in the session; the server drops the connection. The rest arrive while the
                // client is away or recovering, and everything it had not acknowledged is sent again.
                await Wait.UntilAsync(() => session.SequenceState.LastSequenceId >= count / 2, ct);
                session.Abort();
            }
        }

        var line = await node.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), ct);
        await node.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}: {await errors}");
        var result = JsonNode.Parse(line!)!.AsObject();
        AssertLoaded(package, version, result);
        Assert.Equal([connectionId], result["connected"]!.AsArray().Select(c => (string?)c)); // recovered, not reconnected afresh
        Assert.Equal(0, (int)result["disconnected"]!);
        var received = result["received"]!.AsArray();
        Assert.Equal(Enumerable.Range(1, count), received.Select(m => (int)m!["n"]!));
        var sequenceIds = received.Select(m => (long)m!["sequenceId"]!).ToList();
        Assert.Equal(sequenceIds.Order().Distinct(), sequenceIds);
        Assert.Equal(1, sequenceIds[0]);
    }

    /// <summary>The script ran the package asked for, at the version expected, which is the one installed.</summary>
    internal static void AssertLoaded(string package, string version, JsonObject result)
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"node loaded {result["packageName"]} {result["version"]}");
        Assert.Equal((package, version), ((string?)result["packageName"], (string?)result["version"]));
        Assert.Equal(version, Scripts.InstalledVersion(package));
    }

    /// <summary>A hub of each client version's own ("jsclient110"), so one version's connections never meet the other's.</summary>
    private static string HubFor(string name, string version) => name + version.Replace(".", "", StringComparison.Ordinal);

    internal static Task EnsureInstalledAsync(CancellationToken ct) => Scripts.InstallAsync(ct);

    internal static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string file, string[] args, TimeSpan timeout, CancellationToken ct)
    {
        var run = await Scripts.RunAsync(file, args, timeout, ct);
        return (run.ExitCode, run.Output, run.Errors);
    }
}
