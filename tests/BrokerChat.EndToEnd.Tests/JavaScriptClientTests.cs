using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Connections;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// The Azure Web PubSub JavaScript client (<c>@azure/web-pubsub-client</c> 1.0.4 from npm, on Node) against
/// BrokerChat: an application written for Azure runs unchanged. The npm packages are installed from the lock file
/// in <c>tests/js</c> on first use.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class JavaScriptClientTests(PipelineFixture fixture)
{
    internal static readonly string ScriptDirectory = Path.Combine(
        typeof(JavaScriptClientTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!, "tests", "js");

    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    [Fact(Timeout = 240_000)]
    public async Task JsonProtocolClientConnectsJoinsSendsReceivesAndSeesDuplicates()
    {
        var ct = TestContext.Current.CancellationToken;
        await EnsureInstalledAsync(ct);

        var (exitCode, output, errors) = await RunAsync("node", ["web-pubsub-client.mjs", fixture.Host.BaseUri.ToString(), "jsclient"], TimeSpan.FromSeconds(60), ct);

        Assert.True(exitCode == 0, $"node exited with {exitCode}: {errors}");
        var result = JsonNode.Parse(output)!.AsObject();
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

    [Fact(Timeout = 240_000)]
    public async Task ReliableClientRecoversAConnectionTheServerDroppedWithNothingLostOrRepeated()
    {
        var ct = TestContext.Current.CancellationToken;
        await EnsureInstalledAsync(ct);
        const int count = 8;
        using var node = Start("node", ["web-pubsub-recovery.mjs", fixture.Host.BaseUri.ToString(), "jsrecovery", count.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var errors = node.StandardError.ReadToEndAsync(ct);
        var ready = await node.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.True(ready?.StartsWith("ready ", StringComparison.Ordinal) == true, $"node said '{ready}': {(node.HasExited ? await errors : "")}");
        var connectionId = ready!["ready ".Length..];
        var connections = fixture.Host.Services.GetRequiredService<ConnectionIndex>();
        Assert.True(connections.TryGet(connectionId, out var session));

        await using var sender = await fixture.Host.ConnectAsync("jsrecovery", "dave", ct);
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
        Assert.Equal([connectionId], result["connected"]!.AsArray().Select(c => (string?)c)); // recovered, not reconnected afresh
        Assert.Equal(0, (int)result["disconnected"]!);
        var received = result["received"]!.AsArray();
        Assert.Equal(Enumerable.Range(1, count), received.Select(m => (int)m!["n"]!));
        var sequenceIds = received.Select(m => (long)m!["sequenceId"]!).ToList();
        Assert.Equal(sequenceIds.Order().Distinct(), sequenceIds);
        Assert.Equal(1, sequenceIds[0]);
    }

    private static Process Start(string file, string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = ScriptDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
    }

    internal static async Task EnsureInstalledAsync(CancellationToken ct)
    {
        await InstallGate.WaitAsync(ct);
        try
        {
            if (!Directory.Exists(Path.Combine(ScriptDirectory, "node_modules", "@azure", "web-pubsub-client"))
                || !Directory.Exists(Path.Combine(ScriptDirectory, "node_modules", "@azure", "web-pubsub")))
            {
                var (exitCode, _, errors) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(3), ct);
                Assert.True(exitCode == 0, $"npm ci failed in {ScriptDirectory}: {errors}");
            }
        }
        finally
        {
            InstallGate.Release();
        }
    }

    internal static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string file, string[] args, TimeSpan timeout, CancellationToken ct)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = ScriptDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await errors);
    }
}
