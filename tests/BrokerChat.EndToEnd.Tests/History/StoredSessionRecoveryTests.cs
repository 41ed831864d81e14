using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Sessions;
using BrokerChat.History;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests.History;

/// <summary>
/// Reliable sessions resumed from their reconnection tokens past what the connectors keep of a room in memory (5
/// messages here): the history store, written by the in-process history function on SQLite, gives what the memory no
/// longer has, within <c>History:RecoveryMaxMessages</c>; a hub without history refuses such a gap as too old.
/// </summary>
public sealed class StoredSessionRecoveryTests
{
    private const string Hub = "stored";
    private const int Seen = 3;
    private const int Missed = 40;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact(Timeout = 240_000)]
    public async Task ASessionAwayForFortyMessagesIsResumedFromTheStoreWithEachOnceInOrderThenLiveMessagesContinue()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(await SettingsAsync(ct)).WaitAsync(StartTimeout, ct);
        using var metrics = new MetricsRecorder(host.Services);
        await using var sender = await host.ConnectAsync(Hub, "sam", ct).WaitAsync(Timeout, ct);

        // The client's connector dies while it is away; the one it comes back to keeps only 5 of the 40 it missed.
        var (client, seen) = await AwayOnAConnectorThatDiesAsync(host, sender, ct);
        await SendMissedAsync(host, sender, ct);
        await AssertResumedFromTheStoreAsync(client, host, metrics, seen, sender, ct);
    }

    [Fact(Timeout = 240_000)]
    public async Task ASessionAwayForFortyMessagesIsResumedFromTheStoreOnASecondConnector()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = await SettingsAsync(ct);
        await using var host = await BrokerChatHost.StartAsync(settings).WaitAsync(StartTimeout, ct);
        await using var second = await SecondConnector.StartAsync(host, settings.Clone()).WaitAsync(StartTimeout, ct);
        using var metrics = new MetricsRecorder(second.Services);
        await using var sender = await host.ConnectAsync(Hub, "sam", ct).WaitAsync(Timeout, ct);
        var client = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl(Hub, "rita"), new() { Reliable = true }, ct).WaitAsync(Timeout, ct);
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct);
        await SecondConnector.SendAsync(sender, "room", 1, Seen, ct).WaitAsync(Timeout, ct);
        var seen = await client.ReadMessagesAsync(Seen, ct).WaitAsync(Timeout, ct);

        // The client drops; its session is resumed on the second connector, which keeps only 5 of what it missed.
        client.Abort();
        await SendMissedAsync(host, sender, ct);
        await AssertResumedFromTheStoreAsync(client, second, metrics, seen, sender, ct);
    }

    [Fact(Timeout = 240_000)]
    public async Task AGapLargerThanTheStoreMayGiveIsRefusedAsTooOld()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = await SettingsAsync(ct);
        settings["History:RecoveryMaxMessages"] = "10";
        await using var host = await BrokerChatHost.StartAsync(settings).WaitAsync(StartTimeout, ct);
        using var metrics = new MetricsRecorder(host.Services);
        await using var sender = await host.ConnectAsync(Hub, "sam", ct).WaitAsync(Timeout, ct);

        var (client, _) = await AwayOnAConnectorThatDiesAsync(host, sender, ct);
        await SendMissedAsync(host, sender, ct);
        var refused = await client.ResumeAsync(host.ClientUrl(Hub, "rita"), ct).WaitAsync(Timeout, ct);

        await AssertRefusedAsTooOldAsync(refused, ct);
        Assert.Equal(0, metrics.Total("brokerchat.connector.sessions.store_resumes"));
    }

    [Fact(Timeout = 240_000)]
    public async Task AStoreNotYetWrittenUpToTheMemoryIsWaitedForWithinTheCatchUpTimeoutThenRefusedAndTheSameTokenResumesOnceItIs()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = await SettingsAsync(ct);
        settings["Connector:RecoveryCatchUpTimeout"] = "00:00:01";
        settings["History:MaxRetryDelay"] = "00:00:00.500";
        await using var host = await BrokerChatHost.StartAsync(settings).WaitAsync(StartTimeout, ct);
        using var metrics = new MetricsRecorder(host.Services);
        await using var sender = await host.ConnectAsync(Hub, "sam", ct).WaitAsync(Timeout, ct);
        var (client, seen) = await AwayOnAConnectorThatDiesAsync(host, sender, ct);
        await HistoryHosts.WaitForStoredAsync(host, Seen, ct, Hub).WaitAsync(Timeout, ct); // the store covers the client's position

        // While another writer holds the database, the history function cannot write what the client misses.
        await using (await HistoryHosts.HoldWritesAsync(settings["History:ConnectionString"]!, ct).WaitAsync(Timeout, ct))
        {
            await SendMissedAsync(host, sender, ct, stored: false);
            var refused = await client.ResumeAsync(host.ClientUrl(Hub, "rita"), ct).WaitAsync(Timeout, ct);
            await AssertRefusedAsTooOldAsync(refused, ct);
        }

        await HistoryHosts.WaitForStoredAsync(host, Seen + Missed, ct, Hub).WaitAsync(Timeout, ct);
        await WaitUntilGoneAsync(host, client.ConnectionId, ct);
        await AssertResumedFromTheStoreAsync(client, host, metrics, seen, sender, ct);
    }

    [Fact(Timeout = 240_000)]
    public async Task AHubWithoutHistoryRefusesAGapPastTheMemoryAsTooOldAsBefore()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = await SettingsAsync(ct);
        settings[$"History:Hubs:{Hub}:Enabled"] = "false";
        await using var host = await BrokerChatHost.StartAsync(settings).WaitAsync(StartTimeout, ct);
        using var metrics = new MetricsRecorder(host.Services);
        await using var sender = await host.ConnectAsync(Hub, "sam", ct).WaitAsync(Timeout, ct);
        var (client, _) = await AwayOnAConnectorThatDiesAsync(host, sender, ct);
        await SendMissedAsync(host, sender, ct, stored: false);
        var refused = await client.ResumeAsync(host.ClientUrl(Hub, "rita"), ct).WaitAsync(Timeout, ct);

        await AssertRefusedAsTooOldAsync(refused, ct);
        Assert.Equal(0, metrics.Total("brokerchat.connector.sessions.store_resumes"));
    }

    /// <summary>A host that keeps 5 messages of each room in memory and every message of hub <see cref="Hub"/> in a SQLite database of its own.</summary>
    private static async Task<HostSettings> SettingsAsync(CancellationToken ct)
    {
        var history = await TestDatabases.CreateAsync(HistoryProvider.Sqlite, Path.Combine(Path.GetTempPath(), "brokerchat-e2e-history"), ct).WaitAsync(Timeout, ct);
        return HistoryHosts.Settings(history, roomHistoryMessages: 5).WithoutRateLimits();
    }

    /// <summary>A reliable client in the room on a second connector, given the first <see cref="Seen"/> messages; that connector then dies.</summary>
    private static async Task<(WebPubSubTestClient Client, List<SequencedMessage> Seen)> AwayOnAConnectorThatDiesAsync(
        BrokerChatHost host, WebPubSubTestClient sender, CancellationToken ct)
    {
        var away = await SecondConnector.StartAsync(host).WaitAsync(StartTimeout, ct);
        var client = await WebPubSubTestClient.ConnectUrlAsync(away.ClientUrl(Hub, "rita"), new() { Reliable = true }, ct).WaitAsync(Timeout, ct);
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct).WaitAsync(Timeout, ct);
        await SecondConnector.SendAsync(sender, "room", 1, Seen, ct).WaitAsync(Timeout, ct);
        var seen = await client.ReadMessagesAsync(Seen, ct).WaitAsync(Timeout, ct);

        client.Abort();
        await away.DisposeAsync();
        return (client, seen);
    }

    /// <summary>Sends the messages the client misses and (when <paramref name="stored"/>) waits until the history function has written them all.</summary>
    private static async Task SendMissedAsync(BrokerChatHost host, WebPubSubTestClient sender, CancellationToken ct, bool stored = true)
    {
        await SecondConnector.SendAsync(sender, "room", Seen + 1, Seen + Missed, ct).WaitAsync(Timeout, ct);
        if (stored)
        {
            await HistoryHosts.WaitForStoredAsync(host, Seen + Missed, ct, Hub).WaitAsync(Timeout, ct);
        }
    }

    /// <summary>
    /// Resumes the client's session on <paramref name="on"/> and asserts that the store filled it: one resume counted,
    /// at least the messages the memory (5) no longer held given from the store, every message kept once in order.
    /// </summary>
    private static async Task AssertResumedFromTheStoreAsync(
        WebPubSubTestClient client, BrokerChatHost on, MetricsRecorder metrics, List<SequencedMessage> seen, WebPubSubTestClient sender, CancellationToken ct)
    {
        var resumed = await client.ResumeAsync(on.ClientUrl(Hub, "rita"), ct).WaitAsync(Timeout, ct);
        await AssertReplayedOnceInOrderThenLiveAsync(resumed, seen, sender, ct);
        Assert.Equal(1, metrics.Total("brokerchat.connector.sessions.store_resumes"));
        Assert.InRange(metrics.Total("brokerchat.connector.sessions.store_replayed"), Missed - 5, Seen + Missed - 5);
        Assert.False(resumed.Closed.Task.IsCompleted);
        await resumed.DisposeAsync();
    }

    /// <summary>
    /// Reads the resumed session's replay and asserts that the client keeps every message once, in order, numbered
    /// 1, 2, 3, … with repeats only of numbers it had, for the same messages; then a live message follows.
    /// </summary>
    private static async Task AssertReplayedOnceInOrderThenLiveAsync(
        WebPubSubTestClient resumed, List<SequencedMessage> seen, WebPubSubTestClient sender, CancellationToken ct)
    {
        const int total = Seen + Missed;
        var received = await ReliableStreams.ReadAllAsync(resumed, seen, total, ct).WaitAsync(Timeout, ct);
        ReliableStreams.AssertExactlyOnceInOrder(received, total);
        ReliableStreams.AssertRepeatsAreTheSameMessages(received);

        await SecondConnector.SendAsync(sender, "room", total + 1, total + 2, ct).WaitAsync(Timeout, ct);
        var live = await resumed.ReadMessagesAsync(2, ct).WaitAsync(Timeout, ct);
        Assert.Equal([(total + 1UL, total + 1), (total + 2UL, total + 2)], live.Select(m => (m.SequenceId, m.N)));
    }

    /// <summary>Waits until the connection a refused resume opened is gone from <paramref name="host"/>.</summary>
    private static async Task WaitUntilGoneAsync(BrokerChatHost host, string connectionId, CancellationToken ct)
    {
        var connections = host.Services.GetRequiredService<ConnectionIndex>();
        var deadline = DateTime.UtcNow + Timeout;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (connections.TryGet(connectionId, out _))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Connection {connectionId} ends within {Timeout}.");
            await poll.WaitForNextTickAsync(ct);
        }
    }

    private static async Task AssertRefusedAsTooOldAsync(WebPubSubTestClient refused, CancellationToken ct)
    {
        var disconnected = await refused.WaitForFrameAsync(f => (string?)f["event"] == "disconnected", ct).WaitAsync(Timeout, ct);
        Assert.Equal(ReliableSessions.TooOld, (string?)disconnected["message"]);
        Assert.Equal(1008, (int?)(await refused.WaitForCloseAsync(ct).WaitAsync(Timeout, ct)).Status);
    }
}
