using System.Text.Json.Nodes;
using BrokerChat.Functions.Hubs;
using BrokerChat.Testing;
using ChatBot;

namespace BrokerChat.Examples.Tests;

/// <summary>
/// The example bot in a whole BrokerChat (connector, Kafka, function workers in this process) driven by the unmodified
/// Azure Web PubSub JavaScript client from npm on Node (<c>tests/js/web-pubsub-bot.mjs</c>): the newest release
/// (<c>@azure/web-pubsub-client</c> 1.1.0) and 1.0.4 (the npm alias <c>web-pubsub-client-1.0.4</c>). Both releases
/// as published have <c>invokeEvent</c>: 1.0.4 already ships it, so both are held to the echo answers.
/// </summary>
public sealed class ChatBotJavaScriptClientTests(ChatBotJavaScriptClientTests.BotHost bot) : IClassFixture<ChatBotJavaScriptClientTests.BotHost>
{
    private static readonly NodeScripts Scripts = NodeScripts.InRepository(typeof(ChatBotJavaScriptClientTests).Assembly);

    [Theory(Timeout = 240_000)]
    [InlineData(NodeScripts.NewestClient, "1.1.0", true)]
    [InlineData(NodeScripts.Client104, "1.0.4", true)]
    public async Task TheClientIsRefusedWhenBannedWelcomedSeatedInTheLobbyEchoedAndHearsShoutsUpperCased(string package, string version, bool hasInvokeEvent)
    {
        var ct = TestContext.Current.CancellationToken;
        await Scripts.InstallAsync(ct);

        var run = await Scripts.RunAsync("node", ["web-pubsub-bot.mjs", bot.Host.BaseUri.ToString(), package], TimeSpan.FromSeconds(60), ct);

        Assert.True(run.ExitCode == 0, $"node exited with {run.ExitCode}: {run.Errors}");
        var result = JsonNode.Parse(run.Output)!.AsObject();
        TestContext.Current.TestOutputHelper?.WriteLine($"node loaded {result["packageName"]} {result["version"]}: {run.Output}");
        Assert.Equal((package, version), ((string?)result["packageName"], (string?)result["version"]));
        Assert.Equal(version, Scripts.InstalledVersion(package));

        // The connect handler refused the banned user before the upgrade: start() failed on the 401.
        Assert.False((bool)result["banned"]!["started"]!);
        Assert.Contains("401", (string?)result["banned"]!["error"], StringComparison.Ordinal);

        // Each connection's first message is its welcome.
        foreach (var user in new[] { "alice", "bob" })
        {
            var first = result["serverMessages"]![user]!.AsArray()[0]!;
            Assert.Equal(("json", $$"""{"welcome":"{{user}}"}"""), ((string?)first["dataType"], first["data"]!.ToJsonString()));
        }

        Assert.Equal(hasInvokeEvent, (bool)result["hasInvokeEvent"]!);
        if (hasInvokeEvent)
        {
            var echoes = result["echoes"]!.AsArray().Select(e => ((string?)e!["dataType"], e["data"]!.ToJsonString()));
            Assert.Equal([("text", "\"hi\""), ("json", """{"n":1}"""), ("binary", "[0,1,255]")], echoes);
        }
        else
        {
            Assert.Null(result["echoes"]);
        }

        // Alice's shout reached the lobby upper-cased: bob is in it only because the connect handler seated him.
        foreach (var user in new[] { "bob", "alice" })
        {
            var shout = result["groupMessages"]![user]!.AsArray()[0]!;
            Assert.Equal((BotHub.Lobby, "text", "HELLO"), ((string?)shout["group"], (string?)shout["dataType"], (string?)shout["data"]));
        }
    }

    /// <summary>A whole BrokerChat with the bot hub, negotiate on, on a loopback port; one for the class.</summary>
    public sealed class BotHost : IAsyncLifetime
    {
        public BrokerChatHost Host { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Host = await BrokerChatHost.StartAsync(null, services => services.AddBrokerChatHub<BotHub>());

        public async ValueTask DisposeAsync() => await Host.DisposeAsync();
    }
}
