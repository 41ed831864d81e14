using BrokerChat.Functions.Moderation;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Functions.Tests;

public sealed class SenderRateLimiterTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void BucketRefillsAtTheSustainedRateUpToTheBurstOnly()
    {
        var limiter = new SenderRateLimiter(100, _clock);

        Assert.Equal(5, TakeAll(limiter, "alice", perSecond: 2, burst: 5));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, TakeAll(limiter, "alice", perSecond: 2, burst: 5));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(5, TakeAll(limiter, "alice", perSecond: 2, burst: 5));
    }

    [Fact]
    public void TrackedSendersNeverExceedTheCap()
    {
        var limiter = new SenderRateLimiter(16, _clock);

        for (var i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryTake("chat", "room", $"user-{i}", "conn", 1, 5));
            Assert.InRange(limiter.Count, 1, 16);
        }

        Assert.Equal(16, limiter.Count);
        Assert.Equal(1000 - 16, limiter.ForcedEvictions);
    }

    [Fact]
    public void SenderWhoseAllowanceHasRefilledIsForgotten()
    {
        var limiter = new SenderRateLimiter(1000, _clock);
        for (var i = 0; i < 10; i++)
        {
            limiter.TryTake("chat", "room", $"user-{i}", "conn", 10, 20);
        }

        _clock.Advance(TimeSpan.FromMilliseconds(99)); // not yet full again: 0.99 of the token each one spent
        limiter.TryTake("chat", "room", "newcomer", "conn", 10, 20);
        Assert.Equal(11, limiter.Count);

        _clock.Advance(TimeSpan.FromMilliseconds(2));
        for (var i = 0; i < 3; i++)
        {
            limiter.TryTake("chat", "room", "newcomer", "conn", 10, 20);
        }

        Assert.Equal(1, limiter.Count);
        Assert.Equal(0, limiter.ForcedEvictions);
    }

    [Fact]
    public void SenderEvictedAtTheCapStartsAgainWithAFullBurst()
    {
        var limiter = new SenderRateLimiter(16, _clock);
        Assert.Equal(3, TakeAll(limiter, "alice", perSecond: 0.001, burst: 3));

        for (var i = 0; i < 16; i++)
        {
            limiter.TryTake("chat", "room", $"user-{i}", "conn", 0.001, 3);
        }

        Assert.Equal(3, TakeAll(limiter, "alice", perSecond: 0.001, burst: 3));
    }

    [Fact]
    public void KeysOfDifferentSendersRoomsAndHubsDiffer()
    {
        var keys = new[]
        {
            SenderRateLimiter.KeyOf("chat", "room", "alice", "c1"),
            SenderRateLimiter.KeyOf("chat", "room", null, "alice"),
            SenderRateLimiter.KeyOf("chat", "roomalice", null, ""),
            SenderRateLimiter.KeyOf("chat", null, "alice", "c1"),
            SenderRateLimiter.KeyOf("chat", "", "alice", "c1"),
            SenderRateLimiter.KeyOf("chatroom", "", "alice", "c1"),
            SenderRateLimiter.KeyOf("chat", new string('g', 1024), "alice", "c1"),
        };

        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal(keys[0], SenderRateLimiter.KeyOf("chat", "room", "alice", "another connection of alice"));
    }

    private static int TakeAll(SenderRateLimiter limiter, string user, double perSecond, int burst)
    {
        var taken = 0;
        while (limiter.TryTake("chat", "room", user, "conn", perSecond, burst))
        {
            taken++;
            Assert.InRange(taken, 0, burst);
        }

        return taken;
    }
}
