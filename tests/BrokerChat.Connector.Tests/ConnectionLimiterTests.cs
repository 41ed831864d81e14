using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Endpoint;

namespace BrokerChat.Connector.Tests;

public sealed class ConnectionLimiterTests
{
    [Fact]
    public void EachCapRefusesIndependentlyAndReleasedSlotsAreReusable()
    {
        var limiter = new ConnectionLimiter(Microsoft.Extensions.Options.Options.Create(new BrokerChat.Connector.ConnectorOptions
        {
            MaxConnections = 3,
            MaxConnectionsPerUser = 2,
            MaxConnectionsPerAddress = 2,
        }));
        var a = System.Net.IPAddress.Parse("127.0.0.2");
        var b = System.Net.IPAddress.Parse("127.0.0.3");

        Assert.Equal(ConnectionLimiter.Refusal.None, limiter.TryAcquire("u1", a));
        Assert.Equal(ConnectionLimiter.Refusal.None, limiter.TryAcquire("u1", b));
        Assert.Equal(ConnectionLimiter.Refusal.MaxPerUser, limiter.TryAcquire("u1", b));
        Assert.Equal(ConnectionLimiter.Refusal.None, limiter.TryAcquire("u2", a));
        Assert.Equal(ConnectionLimiter.Refusal.MaxConnections, limiter.TryAcquire("u3", b));
        limiter.Release("u2", a);
        Assert.Equal(ConnectionLimiter.Refusal.None, limiter.TryAcquire("u3", a));
        limiter.Release("u1", b);
        Assert.Equal(ConnectionLimiter.Refusal.MaxPerAddress, limiter.TryAcquire("u4", a));

        limiter.Release("u1", a);
        limiter.Release("u3", a);
        Assert.Equal(0, limiter.Total);
        Assert.Equal(0, limiter.TrackedKeys);
    }

    [Fact(Timeout = 10_000)]
    public void ASlotMovedToAnotherUserCountsAgainstThatUserAndIsReleasedUnderIt()
    {
        var limiter = new ConnectionLimiter(Microsoft.Extensions.Options.Options.Create(new BrokerChat.Connector.ConnectorOptions { MaxConnectionsPerUser = 1 }));
        Assert.Equal(ConnectionLimiter.Refusal.None, limiter.TryAcquire("token-user", null));
        Assert.Equal(ConnectionLimiter.Refusal.None, limiter.TryAcquire("busy-user", null));

        Assert.False(limiter.TryMoveUser("token-user", "busy-user"));
        Assert.True(limiter.TryMoveUser("token-user", "handler-user"));

        Assert.Equal(ConnectionLimiter.Refusal.None, limiter.TryAcquire("token-user", null));
        Assert.Equal(ConnectionLimiter.Refusal.MaxPerUser, limiter.TryAcquire("handler-user", null));
        limiter.Release("handler-user", null);
        limiter.Release("token-user", null);
        limiter.Release("busy-user", null);
        Assert.Equal((0, 0), (limiter.Total, limiter.TrackedKeys));
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
    }
}
