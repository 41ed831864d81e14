using BrokerChat.Client.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Client.Tests;

public sealed class KeepAliveTests
{
    [Fact(Timeout = 30_000)]
    public async Task PingGoesOutEveryKeepAliveInterval()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { TimeProvider = time });

        time.Advance(TimeSpan.FromSeconds(19));
        time.Advance(TimeSpan.FromSeconds(1));
        var ping = await harness.Connection.NextJsonAsync("ping", ct);
        Assert.Equal("""{"type":"ping"}""", ping.ToJsonString());

        time.Advance(TimeSpan.FromSeconds(20));
        await harness.Connection.NextJsonAsync("ping", ct);
    }

    [Fact(Timeout = 30_000)]
    public async Task SocketSilentForTheKeepAliveTimeoutIsDroppedAndRecovered()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { TimeProvider = time });

        // Five pings (20 s … 100 s) go unanswered; at 120 s the client gives up on the socket.
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(20));
            await harness.Connection.NextJsonAsync("ping", ct);
        }

        time.Advance(TimeSpan.FromSeconds(20));
        var recovery = await server.NextConnectionAsync(ct);

        Assert.Equal("conn-1", recovery.Query("awps_connection_id"));
        Assert.Null(await harness.Connection.Closed.Within());
    }

    [Fact(Timeout = 30_000)]
    public async Task PongsKeepTheSocketAlive()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { TimeProvider = time });

        for (var i = 0; i < 8; i++)
        {
            time.Advance(TimeSpan.FromSeconds(20));
            await harness.Connection.NextJsonAsync("ping", ct);
            await harness.Connection.SendJsonAsync("""{"type":"pong"}""", ct);
            await harness.Connection.SendGroupTextAsync("room", "m", (ulong)i + 1, ct);
            await harness.Client.Messages.ReadAsync(ct).AsTask().Within(); // the pong before it was handled
        }

        Assert.Equal(1, server.ConnectionCount);
    }
}
