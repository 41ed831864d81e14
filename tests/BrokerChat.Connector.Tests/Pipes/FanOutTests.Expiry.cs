using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Groups;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Tests.Pipes;

/// <summary>
/// A REST send's <c>messageTtlSeconds</c> (the delivery's expires-at): a message still undelivered when it passes is
/// dropped and counted, wherever it waits. Time is the connector's fake clock.
/// </summary>
public sealed partial class FanOutTests
{
    [Fact(Timeout = 30_000)]
    public async Task AMessageReadAfterItsTimeToLiveReachesNobodyAndIsCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        using var expired = new ExpiredCounter(services);
        var member = Member(services, "j1", ClientProtocol.Json, "room");
        await member.ReadFrameAsync().WaitAsync(ct);
        var now = services.Clock.GetUtcNow().ToUnixTimeMilliseconds();

        Dispatch(services, WithExpiry(GroupMessage("m-1", "too late"), now), offset: 0);
        Dispatch(services, WithExpiry(GroupMessage("m-2", "in time"), now + 1), offset: 1);

        Assert.Contains("\"data\":\"in time\"", await member.ReadTextAsync().WaitAsync(ct), StringComparison.Ordinal);
        Assert.False(member.HasUnreadFrame());
        Assert.Equal(1, expired.Of("fanout"));
    }

    [Fact(Timeout = 30_000)]
    public async Task AMessageThatExpiresWhileASlowClientsQueueHoldsItIsNeverWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        using var expired = new ExpiredCounter(services);
        var member = Member(services, "j1", ClientProtocol.Json, "room");
        await member.ReadFrameAsync().WaitAsync(ct);
        var now = services.Clock.GetUtcNow().ToUnixTimeMilliseconds();

        // The client does not read: the first message fills its transport, and the next ones wait in its queue.
        Dispatch(services, GroupMessage("m-1", new string('x', 100_000)), offset: 0);
        Dispatch(services, WithExpiry(GroupMessage("m-2", "stale"), now + 10_000), offset: 1);
        Dispatch(services, WithExpiry(GroupMessage("m-3", "fresh"), now + 60_000), offset: 2);
        services.Clock.Advance(TimeSpan.FromSeconds(11));

        Assert.Contains("xxxx", await member.ReadTextAsync().WaitAsync(ct), StringComparison.Ordinal);
        Assert.Contains("\"data\":\"fresh\"", await member.ReadTextAsync().WaitAsync(ct), StringComparison.Ordinal);
        Assert.False(member.HasUnreadFrame());
        Assert.Equal(1, expired.Of("queue"));
    }

    [Fact(Timeout = 30_000)]
    public async Task AnExpiredMessageInAReliableSessionIsSkippedAndKeepsItsSequenceId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        var member = Member(services, "r1", ClientProtocol.JsonReliable, "room");
        await member.ReadFrameAsync().WaitAsync(ct); // connected, with its token
        var now = services.Clock.GetUtcNow().ToUnixTimeMilliseconds();

        Dispatch(services, GroupMessage("m-1", new string('x', 100_000)), offset: 0);
        Dispatch(services, WithExpiry(GroupMessage("m-2", "stale"), now + 10_000), offset: 1);
        Dispatch(services, GroupMessage("m-3", "fresh"), offset: 2);
        services.Clock.Advance(TimeSpan.FromSeconds(11));

        var frames = new List<string>();
        while (!frames.Any(f => f.Contains("fresh", StringComparison.Ordinal)))
        {
            frames.Add(await member.ReadTextAsync().WaitAsync(ct));
        }

        // The client keeps the highest id it saw and drops only ids at or below it: the gap loses nothing else.
        Assert.DoesNotContain(frames, f => f.Contains("stale", StringComparison.Ordinal));
        Assert.StartsWith("{\"sequenceId\":1,", frames.Single(f => f.Contains("xxxx", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.StartsWith("{\"sequenceId\":3,", frames.Single(f => f.Contains("fresh", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task AJoiningClientIsNotGivenExpiredMessagesFromTheRoomsHistory()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Started();
        using var expired = new ExpiredCounter(services);
        var now = services.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        Dispatch(services, WithExpiry(GroupMessage("m-1", "short-lived"), now + 5_000), offset: 0);
        Dispatch(services, WithExpiry(GroupMessage("m-2", "long-lived"), now + 60_000), offset: 1);
        Dispatch(services, GroupMessage("m-3", "forever"), offset: 2);
        services.Clock.Advance(TimeSpan.FromSeconds(6));

        var joiner = Member(services, "j1", ClientProtocol.Json, "elsewhere");
        await joiner.ReadFrameAsync().WaitAsync(ct);
        var connection = services.Get<ConnectionIndex>().GroupMembers("chat", "elsewhere").Single();
        Assert.True(services.Get<GroupMembership>().Join(connection, "room", 10, history: 10));

        Assert.Contains("\"data\":\"long-lived\"", await joiner.ReadTextAsync().WaitAsync(ct), StringComparison.Ordinal);
        Assert.Contains("\"data\":\"forever\"", await joiner.ReadTextAsync().WaitAsync(ct), StringComparison.Ordinal);
        Assert.False(joiner.HasUnreadFrame());
        Assert.Equal(1, expired.Of("history"));
    }

    private static Delivery WithExpiry(Delivery delivery, long expiresAt)
    {
        delivery.ExpiresAt = expiresAt;
        return delivery;
    }

    /// <summary>Sums <c>brokerchat.connector.messages.expired</c> of one connector by its <c>stage</c> tag.</summary>
    private sealed class ExpiredCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

        public ExpiredCounter(ConnectorServices services)
        {
            var factory = services.Get<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "brokerchat.connector.messages.expired" && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "stage")
                    {
                        _totals.AddOrUpdate((string)tag.Value!, value, (_, total) => total + value);
                    }
                }
            });
            _listener.Start();
        }

        public long Of(string stage) => _totals.GetValueOrDefault(stage);

        public void Dispose() => _listener.Dispose();
    }
}
