using BrokerChat.Connector.Auth;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.UnitTests.Connector;

public sealed class AccessTokenServiceTests
{
    private const string KeyA = "key-a-0123456789abcdef0123456789abcdef";
    private const string KeyB = "key-b-0123456789abcdef0123456789abcdef";
    private const string Audience = "http://127.0.0.1:5000/client/hubs/chat";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void MintedTokenValidatesWithItsClaims()
    {
        var service = Service(KeyA);
        var token = service.Mint(Audience, "alice", ["webpubsub.sendToGroup"], ["g1", "g2"], TimeSpan.FromHours(1));

        var identity = service.Validate(token, "chat", out var failure);

        Assert.Null(failure);
        Assert.Equal("alice", identity!.UserId);
        Assert.Equal(["webpubsub.sendToGroup"], identity.Roles);
        Assert.Equal(["g1", "g2"], identity.Groups);
    }

    [Fact]
    public void TokenSignedWithAnotherKeyIsRefused()
    {
        var token = Service(KeyB).Mint(Audience, "alice", [], [], TimeSpan.FromHours(1));
        Assert.Null(Service(KeyA).Validate(token, "chat", out var failure));
        Assert.Contains("signature", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void EitherConfiguredKeyIsAcceptedForRotation()
    {
        var oldToken = Service(KeyB).Mint(Audience, "alice", [], [], TimeSpan.FromHours(1));
        Assert.NotNull(Service(KeyA, KeyB).Validate(oldToken, "chat", out _));
    }

    [Fact]
    public void ExpiredTokenIsRefusedAfterTheClockSkew()
    {
        var service = Service(KeyA);
        var token = service.Mint(Audience, "alice", [], [], TimeSpan.FromMinutes(1));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.NotNull(service.Validate(token, "chat", out _));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(service.Validate(token, "chat", out var failure));
        Assert.Contains("expired", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenForAnotherHubIsRefusedAndHubsCompareCaseInsensitively()
    {
        var service = Service(KeyA);
        var token = service.Mint("https://chat.example.com/client/hubs/Chat", "alice", [], [], TimeSpan.FromHours(1));
        Assert.NotNull(service.Validate(token, "chat", out _));
        Assert.Null(service.Validate(token, "other", out var failure));
        Assert.Contains("audience", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("!!.!!.!!")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJleHAiOjk5OTk5OTk5OTl9.")]
    public void MalformedOrUnsignedTokensAreRefused(string? token) =>
        Assert.Null(Service(KeyA).Validate(token, "chat", out _));

    private AccessTokenService Service(params string[] keys) =>
        new(Options.Create(new AuthOptions { AccessKeys = [.. keys] }), _time);
}
