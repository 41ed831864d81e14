using BrokerChat.Connector.Auth;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Connector.Tests;

public sealed class WebPubSubConnectionStringTests
{
    private const string KeyA = "key-a-0123456789abcdef0123456789abcdef";
    private const string KeyB = "key-b-0123456789abcdef0123456789abcdef";
    private const string Audience = "http://127.0.0.1:5000/client/hubs/chat";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void AzureConnectionStringGivesItsEndpointAndAKeyThatMayContainEquals()
    {
        var parsed = WebPubSubConnectionString.Parse("Endpoint=https://chat.webpubsub.azure.com;AccessKey=AbC/dEf+GhI=;Version=1.0;", out var failure);

        Assert.Null(failure);
        Assert.Equal(new Uri("https://chat.webpubsub.azure.com"), parsed!.Endpoint);
        Assert.Equal("AbC/dEf+GhI=", parsed.AccessKey);
    }

    [Fact]
    public void NamesAreCaseInsensitiveAndPortReplacesTheEndpointPort()
    {
        var parsed = WebPubSubConnectionString.Parse(" endpoint = http://localhost ; accesskey=secret-key ; port=8080 ", out _);

        Assert.Equal(new Uri("http://localhost:8080"), parsed!.Endpoint);
        Assert.Equal("secret-key", parsed.AccessKey);
    }

    [Theory]
    [InlineData("Endpoint=https://chat.example.com;Version=1.0;", "AccessKey")]
    [InlineData("Endpoint=https://chat.example.com;Type=azure.msi;Version=1.0;", "AccessKey")]
    [InlineData("Endpoint=chat.example.com;AccessKey=k;", "Endpoint")]
    [InlineData("Endpoint=ftp://chat.example.com;AccessKey=k;", "Endpoint")]
    [InlineData("Endpoint=https://chat.example.com;AccessKey=k;Port=http", "Port")]
    [InlineData("just-a-key", "Name=value")]
    public void WhatIsNotAConnectionStringIsRefusedWithTheReason(string value, string reason)
    {
        Assert.Null(WebPubSubConnectionString.Parse(value, out var failure));
        Assert.Contains(reason, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void TheKeyNeverAppearsWhenTheConnectionStringIsPrinted()
    {
        var parsed = WebPubSubConnectionString.Parse($"Endpoint=https://chat.example.com;AccessKey={KeyA};", out _);
        Assert.DoesNotContain(KeyA, parsed!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionStringKeySignsAndTheSecondaryKeyIsStillAcceptedDuringRotation()
    {
        var rotated = Service(new AuthOptions { ConnectionString = ConnectionString(KeyA), SecondaryConnectionString = ConnectionString(KeyB) });
        var oldToken = Service(new AuthOptions { AccessKeys = [KeyB] }).Mint(Audience, "alice", [], [], TimeSpan.FromHours(1));
        var newToken = rotated.Mint(Audience, "alice", [], [], TimeSpan.FromHours(1));

        Assert.NotNull(rotated.Validate(oldToken, "chat", out _));
        Assert.NotNull(Service(new AuthOptions { AccessKeys = [KeyA] }).Validate(newToken, "chat", out _)); // signed with the primary
        Assert.Null(Service(new AuthOptions { AccessKeys = [KeyB] }).Validate(newToken, "chat", out _));
        Assert.False(rotated.IsEphemeralKey);
    }

    [Fact]
    public void OnceTheOldKeyIsRemovedItsTokensAreRefused()
    {
        var oldToken = Service(new AuthOptions { AccessKeys = [KeyB] }).Mint(Audience, "alice", [], [], TimeSpan.FromHours(1));

        var afterRotation = Service(new AuthOptions { ConnectionString = ConnectionString(KeyA) });

        Assert.Null(afterRotation.Validate(oldToken, "chat", out var failure));
        Assert.Contains("signature", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Endpoint=https://chat.example.com;Version=1.0;", null, "Auth:ConnectionString")]
    [InlineData("Endpoint=https://chat.example.com;AccessKey=short;", null, "at least")]
    [InlineData(null, "Endpoint=https://chat.example.com;AccessKey=key-b-0123456789abcdef0123456789abcdef;", "only verifies")]
    public void BadConnectionStringsStopTheStartWithoutQuotingTheSecret(string? primary, string? secondary, string expected)
    {
        var result = new AuthOptionsValidator().Validate(null, new AuthOptions { ConnectionString = primary, SecondaryConnectionString = secondary });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("short", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyB, result.FailureMessage, StringComparison.Ordinal);
    }

    private static string ConnectionString(string key) => $"Endpoint=http://127.0.0.1:5000;AccessKey={key};Version=1.0;";

    private AccessTokenService Service(AuthOptions options) => new(Options.Create(options), _time);
}
