using BrokerChat.Connector.Auth;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Connector.Tests;

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

    [Theory]
    [InlineData("http://127.0.0.1:5000/api/hubs/chat/:send")]
    [InlineData("http://127.0.0.1:5000/api/hubs/chat/:send?api-version=2024-12-01&excluded=a")] // as the JS SDK signs
    [InlineData("https://public.example.com/api/hubs/Chat/:send/")] // behind a TLS-terminating proxy
    [InlineData("http://127.0.0.1:5000/api/hubs/chat/users/u%201/:send")]
    public void ServerRequestTokenIsAcceptedWhenItsAudienceIsTheRequestPath(string audience)
    {
        var service = Service(KeyA);
        var token = service.Mint(audience, null, [], [], TimeSpan.FromMinutes(5));
        var path = audience.Contains("users", StringComparison.Ordinal) ? "/api/hubs/chat/users/u 1/:send" : "/api/hubs/chat/:send";

        Assert.True(service.ValidateServerRequest(token, path, out var failure), failure);
    }

    [Fact]
    public void ServerRequestTokenForAnotherHubOrOperationOrExpiredOrOtherKeyIsRefused()
    {
        var service = Service(KeyA);
        const string path = "/api/hubs/chat/:send";
        var otherHub = service.Mint("http://h/api/hubs/other/:send", null, [], [], TimeSpan.FromMinutes(5));
        var otherOperation = service.Mint("http://h/api/hubs/chat/:closeConnections", null, [], [], TimeSpan.FromMinutes(5));
        var clientToken = service.Mint("http://h/client/hubs/chat", "alice", [], [], TimeSpan.FromMinutes(5));
        var otherKey = Service(KeyB).Mint("http://h/api/hubs/chat/:send", null, [], [], TimeSpan.FromMinutes(5));
        var expiring = service.Mint("http://h/api/hubs/chat/:send", null, [], [], TimeSpan.FromMinutes(1));
        _time.Advance(TimeSpan.FromMinutes(7));

        Assert.False(service.ValidateServerRequest(otherHub, path, out var hubFailure));
        Assert.Contains("audience", hubFailure, StringComparison.Ordinal);
        Assert.False(service.ValidateServerRequest(otherOperation, path, out _));
        Assert.False(service.ValidateServerRequest(clientToken, path, out _));
        Assert.False(service.ValidateServerRequest(otherKey, path, out var keyFailure));
        Assert.Contains("signature", keyFailure, StringComparison.Ordinal);
        Assert.False(service.ValidateServerRequest(expiring, path, out var expiredFailure));
        Assert.Contains("expired", expiredFailure, StringComparison.Ordinal);
        Assert.False(service.ValidateServerRequest(null, path, out _));
    }

    [Fact]
    public void KeyRemovedFromConfigurationIsRefusedFromThenOnAndTheOtherKeepsWorking()
    {
        var monitor = new ChangingAuthOptions(new AuthOptions { AccessKeys = [KeyA, KeyB] });
        var reloads = new List<int>();
        var service = new AccessTokenService(monitor, _time, reloads.Add);
        var signedA = Service(KeyA).Mint(Audience, "alice", [], [], TimeSpan.FromHours(1));
        var signedB = Service(KeyB).Mint(Audience, "bob", [], [], TimeSpan.FromHours(1));
        Assert.NotNull(service.Validate(signedB, "chat", out _));

        monitor.Change(new AuthOptions { AccessKeys = [KeyA] });

        Assert.Equal([1], reloads);
        Assert.Null(service.Validate(signedB, "chat", out var failure));
        Assert.Contains("signature", failure, StringComparison.Ordinal);
        Assert.NotNull(service.Validate(signedA, "chat", out _));
        Assert.NotNull(service.Validate(service.Mint(Audience, "carol", [], [], TimeSpan.FromHours(1)), "chat", out _));
    }

    private AccessTokenService Service(params string[] keys) =>
        new(Options.Create(new AuthOptions { AccessKeys = [.. keys] }), _time);
}
