using BrokerChat.Connector.Connections;


namespace BrokerChat.UnitTests.Connector;

public sealed class ClientConnectionTests
{
    [Fact]
    public void QueueOverflowInMessagesClosesTheConnectionAsSlowClient()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], maxQueuedMessages: 2, maxQueuedBytes: 1024);
        Assert.True(connection.TryEnqueue(new byte[10]));
        Assert.True(connection.TryEnqueue(new byte[10]));

        Assert.False(connection.TryEnqueue(new byte[10]));

        Assert.True(connection.IsClosing);
        Assert.StartsWith("SlowClient", connection.CloseReason, StringComparison.Ordinal);
        Assert.False(connection.TryEnqueue(new byte[1]));
    }

    [Fact]
    public void QueueOverflowInBytesClosesTheConnectionAndKeepsTheCountHonest()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], maxQueuedMessages: 100, maxQueuedBytes: 100);
        Assert.True(connection.TryEnqueue(new byte[60]));

        Assert.False(connection.TryEnqueue(new byte[60]));

        Assert.True(connection.IsClosing);
        Assert.Equal(0, connection.QueuedBytes); // the slow client's queue is dropped, and no longer counted
    }

    [Fact]
    public void PendingAcksExpireAtTheirDeadlineAndOnlyOnce()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], 10, 1024);
        Assert.True(connection.TryAddPendingAck(1, deadlineTimestamp: 100, out _));
        Assert.True(connection.TryAddPendingAck(2, deadlineTimestamp: 200, out _));
        Assert.False(connection.TryAddPendingAck(1, deadlineTimestamp: 300, out var tooMany));
        Assert.False(tooMany);

        Assert.Equal([1UL], connection.ExpireAcks(150));
        Assert.Null(connection.ExpireAcks(150));
        Assert.False(connection.TryCompleteAck(1));
        Assert.True(connection.TryCompleteAck(2));
        Assert.Equal(0, connection.PendingAckCount);
    }
}

public sealed class TokenBucketTests
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = new();

    [Fact]
    public void BurstPassesThenRequestsAreRefusedUntilTimeRefillsTheBucket()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], 10, 1024, _clock);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(Take(connection, 2, 5, out _));
        }

        Assert.False(Take(connection, 2, 5, out var overLimit));
        Assert.Equal(1, overLimit);
        _clock.Advance(TimeSpan.FromMilliseconds(500)); // half a second at 2/s refills one token
        Assert.True(Take(connection, 2, 5, out _));
        Assert.False(Take(connection, 2, 5, out _));
    }

    [Fact]
    public void RefusalsDecayAtTheSustainedRate()
    {
        using var connection = new ClientConnection("c", "hub", "u", [], 10, 1024, _clock);
        Assert.True(Take(connection, 1, 1, out _));
        for (var i = 0; i < 4; i++)
        {
            Take(connection, 1, 1, out _);
        }

        Assert.False(Take(connection, 1, 1, out var before));
        Assert.Equal(5, before);
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.True(Take(connection, 1, 1, out var after));
        Assert.Equal(2, after);
    }

    private bool Take(ClientConnection connection, double rate, int burst, out double overLimit) =>
        connection.TryTakeToken(_clock.GetTimestamp(), _clock.TimestampFrequency, rate, burst, out overLimit);
}

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
}
