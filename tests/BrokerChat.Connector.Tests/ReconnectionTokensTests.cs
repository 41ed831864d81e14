using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Sessions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Connector.Tests;

public sealed class ReconnectionTokensTests
{
    private const string KeyA = "key-a-0123456789abcdef0123456789abcdef";
    private const string KeyB = "key-b-0123456789abcdef0123456789abcdef";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void TokenCarriesTheSessionToAnyConnectorWithTheSameKeys()
    {
        var state = State();
        var token = Tokens(KeyA).Create(state);

        var read = Tokens(KeyA).Read(token, "conn1", out var failure);

        Assert.Null(failure);
        Assert.Equal((state.Hub, state.UserId, state.Protocol, state.LastSequenceId, state.NextPartition), (read!.Hub, read.UserId, read.Protocol, read.LastSequenceId, read.NextPartition));
        Assert.Equal(state.Roles, read.Roles);
        Assert.Equal(state.Groups, read.Groups);
        Assert.Equal(state.Cursor, read.Cursor);
        Assert.True(read.IsPortable);
    }

    [Fact]
    public void TokenCarriesThePresenceSubscriptionsAndTokensWithoutThemStillRead()
    {
        var token = Tokens(KeyA).Create(State() with { PresenceGroups = ["room"] });
        Assert.Equal(["room"], Tokens(KeyA).Read(token, "conn1", out _)!.PresenceGroups!);
        Assert.Null(Tokens(KeyA).Read(Tokens(KeyA).Create(State()), "conn1", out _)!.PresenceGroups);
    }

    [Fact]
    public void TokenCarriesTheGroupsRevokedFromAnEveryGroupRole()
    {
        var token = Tokens(KeyA).Create(State() with { Roles = ["webpubsub.sendToGroup"], Revoked = ["webpubsub.sendToGroup.muted"] });

        var read = Tokens(KeyA).Read(token, "conn1", out _)!;

        Assert.Equal(["webpubsub.sendToGroup.muted"], read.Revoked!);
        Assert.Null(Tokens(KeyA).Read(Tokens(KeyA).Create(State()), "conn1", out _)!.Revoked);
    }

    [Fact]
    public void TokenCarriesTheConnectionStateUpToItsLargestSizeSoASessionResumedElsewhereKeepsIt()
    {
        var largest = new string('s', Contracts.Events.WebPubSubCloudEvents.MaxConnectionStateLength);
        var token = Tokens(KeyA).Create(State() with { ConnectionState = largest });

        var read = Tokens(KeyA).Read(token, "conn1", out _)!;

        Assert.Equal(largest, read.ConnectionState);
        Assert.True(read.IsPortable);
        Assert.Null(Tokens(KeyA).Read(Tokens(KeyA).Create(State()), "conn1", out _)!.ConnectionState);
    }

    [Fact]
    public void ATokenTooLargeToCarryTheSessionLeavesTheStateToTheConnectorThatHoldsIt()
    {
        var state = State() with { Groups = Enumerable.Range(0, 2000).Select(i => $"group-{i}").ToArray(), ConnectionState = "eyJrIjoxfQ==" };

        var read = Tokens(KeyA).Read(Tokens(KeyA).Create(state), "conn1", out _)!;

        Assert.False(read.IsPortable);
        Assert.Null(read.ConnectionState);
    }

    [Fact]
    public void ForgedTamperedExpiredOrAnotherConnectionsTokensAreRefused()
    {
        var tokens = Tokens(KeyA);
        var token = tokens.Create(State());
        Assert.Null(Tokens(KeyB).Read(token, "conn1", out var forged));
        Assert.Contains("signature", forged, StringComparison.Ordinal);
        Assert.Null(tokens.Read("A" + token, "conn1", out _));
        Assert.Null(tokens.Read(token, "conn2", out var other));
        Assert.Contains("another connection", other, StringComparison.Ordinal);
        Assert.Null(tokens.Read("not-a-token", "conn1", out _));
        _time.Advance(TimeSpan.FromDays(8));
        Assert.Null(tokens.Read(token, "conn1", out var expired));
        Assert.Contains("expired", expired, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenSignedWithTheOldKeyIsStillReadAfterARotation()
    {
        var token = Tokens(KeyB).Create(State());
        Assert.NotNull(Tokens(KeyA, KeyB).Read(token, "conn1", out _));
    }

    [Fact]
    public void TokenForVeryManyGroupsDropsThemAndResumesOnlyWhereTheSessionIsHeld()
    {
        var state = State() with { Groups = Enumerable.Range(0, 2000).Select(i => $"group-{i}").ToArray() };
        var token = Tokens(KeyA).Create(state);

        Assert.True(token.Length <= ReconnectionTokens.MaxPortableLength);
        Assert.False(Tokens(KeyA).Read(token, "conn1", out _)!.IsPortable);
    }

    private ReconnectionState State() =>
        new("conn1", "chat", "alice", ["webpubsub.joinLeaveGroup"], ["room", "lobby"], "json.reliable.webpubsub.azure.v1", 42, 3, [10, 20, 30, 40], _time.GetUtcNow().AddDays(7).ToUnixTimeSeconds());

    private ReconnectionTokens Tokens(params string[] keys) =>
        new(new AccessTokenService(Options.Create(new AuthOptions { AccessKeys = [.. keys] }), _time), Options.Create(new ConnectorOptions()), _time);
}
