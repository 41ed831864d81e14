using BrokerChat.Contracts.Events;

namespace BrokerChat.Contracts.Tests;

public sealed class WebPubSubSignatureTests
{
    [Fact]
    public void ASignatureByEitherKeyOfARotationIsAcceptedAndAnyOtherIsNot()
    {
        var header = WebPubSubSignature.Create("conn-1", ["old-key", "new-key"]);
        Assert.Equal(2, header.Split(',').Length);
        Assert.StartsWith("sha256=", header, StringComparison.Ordinal);
        Assert.True(WebPubSubSignature.IsValid(header, "conn-1", ["new-key"]));
        Assert.True(WebPubSubSignature.IsValid(WebPubSubSignature.Create("conn-1", ["old-key"]), "conn-1", ["new-key", "old-key"]));
        Assert.False(WebPubSubSignature.IsValid(header, "conn-2", ["new-key"]));
        Assert.False(WebPubSubSignature.IsValid(header, "conn-1", ["other-key"]));
        Assert.False(WebPubSubSignature.IsValid(null, "conn-1", ["new-key"]));
    }

    [Fact]
    public void TheSignatureIsTheHexHmacSha256OfTheConnectionId()
    {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), the well-known test vector.
        Assert.Equal("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
            WebPubSubSignature.Create("The quick brown fox jumps over the lazy dog", ["key"]));
    }
}
