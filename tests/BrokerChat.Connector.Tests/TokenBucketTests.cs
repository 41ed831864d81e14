using BrokerChat.Connector.Connections;

namespace BrokerChat.Connector.Tests;

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
        connection.RateLimit.TryTake(_clock.GetTimestamp(), _clock.TimestampFrequency, rate, burst, out overLimit);
}
