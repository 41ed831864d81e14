using BrokerChat.Client.Tests.Fakes;

namespace BrokerChat.Client.Tests;

public sealed class SequenceTests
{
    [Fact(Timeout = 30_000)]
    public async Task MessagesReplayedAfterRecoveryAreDeliveredOnceAndAcknowledged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { SequenceAckInterval = TimeSpan.FromMilliseconds(50) });
        await harness.Connection.SendGroupTextAsync("room", "one", 1, ct);
        await harness.Connection.SendGroupTextAsync("room", "two", 2, ct);
        var ack = await harness.Connection.NextJsonAsync("sequenceAck", ct, f => (ulong)f["sequenceId"]! == 2);
        Assert.Equal("""{"type":"sequenceAck","sequenceId":2}""", ack.ToJsonString());

        harness.Connection.Abort();
        var recovery = await server.NextConnectionAsync(ct);
        await recovery.SendGroupTextAsync("room", "one", 1, ct);
        await recovery.SendGroupTextAsync("room", "two", 2, ct);
        await recovery.SendGroupTextAsync("room", "three", 3, ct);

        string[] texts = [];
        for (var i = 0; i < 3; i++)
        {
            texts = [.. texts, (await harness.Client.Messages.ReadAsync(ct).AsTask().Within()).GetText()];
        }

        Assert.Equal(["one", "two", "three"], texts);
        await recovery.NextJsonAsync("sequenceAck", ct, f => (ulong)f["sequenceId"]! == 3);
        Assert.False(harness.Client.Messages.TryRead(out _));
    }

    [Fact(Timeout = 30_000)]
    public async Task DuplicatesAloneStillCauseASequenceAck()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { SequenceAckInterval = TimeSpan.FromMilliseconds(50) });
        await harness.Connection.SendGroupTextAsync("room", "one", 1, ct);
        await harness.Connection.NextJsonAsync("sequenceAck", ct);

        await harness.Connection.SendGroupTextAsync("room", "one", 1, ct);

        var again = await harness.Connection.NextJsonAsync("sequenceAck", ct);
        Assert.Equal(1UL, (ulong)again["sequenceId"]!);
        Assert.Equal("one", (await harness.Client.Messages.ReadAsync(ct).AsTask().Within()).GetText());
        Assert.False(harness.Client.Messages.TryRead(out _));
    }

    [Fact(Timeout = 30_000)]
    public async Task SequenceAckGoesOutAtOnceWhenTheIdRunsMoreThan300AheadOfTheLastAck()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { SequenceAckInterval = TimeSpan.FromHours(1) });

        await harness.Connection.SendGroupTextAsync("room", "a", 1, ct);
        await harness.Connection.SendGroupTextAsync("room", "b", 302, ct);

        var ack = await harness.Connection.NextJsonAsync("sequenceAck", ct);
        Assert.Equal(302UL, (ulong)ack["sequenceId"]!);
    }
}
