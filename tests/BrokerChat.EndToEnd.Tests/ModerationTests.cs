using System.Text.Json.Nodes;
using BrokerChat.Functions.Moderation;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>Moderation rules enforced by the worker functions, seen by clients through the whole pipeline.</summary>
public sealed class ModerationTests
{
    private const int Timeout = 90_000;

    [Fact(Timeout = Timeout)]
    public async Task EachRuleAnswersTheSenderWithAnAckErrorNamingItAndEverythingElseIsDelivered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Functions =
            {
                Moderation =
                {
                    Hubs =
                    {
                        ["moderated"] =
                        {
                            MaxPayloadBytes = 64,
                            BlockedWords = ["darn"],
                            Links = LinkPolicy.Block,
                            // Five requests per sender and room, refilled so slowly that no test run sees a sixth.
                            MessagesPerSecond = 0.001,
                            MessageBurst = 5,
                        },
                    },
                },
            },
        });
        await using var alice = await host.ConnectAsync("moderated", "alice", ct);
        await using var bob = await host.ConnectAsync("moderated", "bob", ct);
        await using var carol = await host.ConnectAsync("open", "carol", ct);
        Assert.True((await alice.JoinGroupAsync("g", ct))!.Success);
        Assert.True((await bob.JoinGroupAsync("g", ct))!.Success);
        Assert.True((await carol.JoinGroupAsync("g", ct))!.Success);

        Assert.True((await alice.SendToGroupAsync("g", "hello", cancellationToken: ct))!.Success);
        AssertRejected(await alice.SendToGroupAsync("g", new string('x', 65), cancellationToken: ct), "BadRequest", "size");
        AssertRejected(await alice.SendToGroupAsync("g", new JsonObject { ["text"] = "oh DARN it" }, cancellationToken: ct), "Forbidden", "blocked-words");
        AssertRejected(await alice.SendToGroupAsync("g", "see example.com", cancellationToken: ct), "Forbidden", "links");
        Assert.True((await alice.SendToGroupAsync("g", "still here", cancellationToken: ct))!.Success);
        AssertRejected(await alice.SendToGroupAsync("g", "one too many", cancellationToken: ct), "TooManyRequests", "rate-limit");

        // Bob has an allowance of his own; another hub has none of these rules.
        Assert.True((await bob.SendToGroupAsync("g", "bob here", cancellationToken: ct))!.Success);
        Assert.True((await carol.SendToGroupAsync("g", "oh darn, see example.com", cancellationToken: ct))!.Success);

        foreach (var member in new[] { alice, bob })
        {
            foreach (var expected in new[] { "hello", "still here", "bob here" })
            {
                Assert.Equal(expected, (string?)(await member.NextMessageAsync(ct))["data"]);
            }

            // "bob here" went last into the room: a rejected message delivered anyway would have come before it.
            Assert.False(member.TryTakeMessage(out _));
        }

        Assert.Equal("oh darn, see example.com", (string?)(await carol.NextMessageAsync(ct))["data"]);
    }

    private static void AssertRejected(AckFrame? ack, string errorName, string rule)
    {
        Assert.NotNull(ack);
        Assert.False(ack.Success);
        Assert.Equal(errorName, ack.ErrorName);
        Assert.StartsWith($"Rejected by rule '{rule}': ", ack.ErrorMessage, StringComparison.Ordinal);
    }
}
