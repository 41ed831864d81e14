using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace BrokerChat.EndToEndTests;

/// <summary>
/// The Azure Web PubSub JavaScript client (<c>@azure/web-pubsub-client</c> 1.0.4 from npm, on Node) against
/// BrokerChat: an application written for Azure runs unchanged. The npm packages are installed from the lock file
/// in <c>tests/js</c> on first use.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class JavaScriptClientTests(PipelineFixture fixture)
{
    private static readonly string ScriptDirectory = Path.Combine(
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

    private static async Task EnsureInstalledAsync(CancellationToken ct)
    {
        await InstallGate.WaitAsync(ct);
        try
        {
            if (!Directory.Exists(Path.Combine(ScriptDirectory, "node_modules", "@azure", "web-pubsub-client")))
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

    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string file, string[] args, TimeSpan timeout, CancellationToken ct)
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
