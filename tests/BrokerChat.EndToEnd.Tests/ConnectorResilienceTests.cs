using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Inbound;
using BrokerChat.EndToEnd.Tests.Faults;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Embedded;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>How the connector holds up against silent, slow, flooding and abusive clients and a broker outage.</summary>
public sealed class ConnectorResilienceTests
{
    private const int Timeout = 120_000;

    [Fact(Timeout = Timeout)]
    public async Task ClientThatDoesNotAnswerKeepAlivePingsIsClosedAfterTheClientTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(clock);
        using var metrics = new MetricsRecorder(host.Services);
        await using var client = await RawWebSocket.ConnectAsync(host.ClientUrl("silent", "u"), ct);
        Assert.Contains("connected", (await client.ReadFrameAsync(ct))!.Text, StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromSeconds(16));
        var keepAlive = await client.ReadFrameAsync(ct);
        Assert.Equal(9, keepAlive!.Opcode); // a WebSocket ping, which this client leaves unanswered

        clock.Advance(TimeSpan.FromSeconds(15));
        var disconnected = await client.ReadFrameAsync(ct);
        Assert.Contains("\"event\":\"disconnected\"", disconnected!.Text, StringComparison.Ordinal);
        var close = await client.ReadFrameAsync(ct);
        Assert.Equal(8, close!.Opcode);
        Assert.Equal((int)WebSocketCloseStatus.EndpointUnavailable, close.CloseCode);
        Assert.StartsWith("PingTimeout", close.CloseReason, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Total("brokerchat.connector.heartbeat.timeouts"));

        // A client silent for the whole timeout is not waited for: the connection ends once the close is written.
        Assert.Null(await client.ReadFrameAsync(ct));
        await Wait.UntilAsync(() => host.Services.GetRequiredService<ConnectionIndex>().ActiveHandlers == 0, ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task IdleClientThatAnswersKeepAlivePingsIsNeverTimedOut()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(clock);
        await using var client = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("idle", "u"), cancellationToken: ct);
        var connection = host.Services.GetRequiredService<ConnectionIndex>().All.Single();

        // Three keep-alive rounds span 48 s, past the 30 s client timeout; the client library answers each ping.
        for (var round = 0; round < 3; round++)
        {
            clock.Advance(TimeSpan.FromSeconds(16));
            var pinged = clock.GetTimestamp();
            await Wait.UntilAsync(() => connection.LastReceived == pinged, ct);
        }

        Assert.False(client.Closed.Task.IsCompleted);
        Assert.False(connection.IsClosing);
        Assert.Equal("pong", (string?)(await client.PingAsync(ct))["type"]);
    }

    [Fact(Timeout = Timeout)]
    public async Task ListenerInABusyRoomIsPingedAndNeverTimedOut()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(clock);
        await using var listener = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("busy", "listener"), cancellationToken: ct);
        await using var speaker = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("busy", "speaker"), cancellationToken: ct);
        await listener.JoinGroupAsync("room", ct);
        var connection = host.Services.GetRequiredService<ConnectionIndex>().All.Single(c => c.UserId == "listener");

        // The room talks every 8 s, so the server always has sent the listener something recently; the listener
        // itself sends nothing for 48 s, past the 30 s client timeout. Only a ping it answers keeps it alive.
        for (var round = 0; round < 3; round++)
        {
            clock.Advance(TimeSpan.FromSeconds(8));
            await speaker.SendToGroupAsync("room", JsonValue.Create(round)!, cancellationToken: ct);
            Assert.Equal(round, (int)(await listener.NextMessageAsync(ct))["data"]!);
            clock.Advance(TimeSpan.FromSeconds(8));
            var pinged = clock.GetTimestamp();
            await Wait.UntilAsync(() => connection.LastReceived == pinged, ct);
        }

        Assert.False(listener.Closed.Task.IsCompleted);
        Assert.False(connection.IsClosing);
    }

    [Fact(Timeout = Timeout)]
    public async Task ClientThatKeepsSendingIsNotTimedOut()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(clock);
        await using var client = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("alive", "u"), cancellationToken: ct);

        for (var i = 0; i < 4; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(20));
            await client.SendAsync(new JsonObject { ["type"] = "joinGroup", ["group"] = "g" + i }, cancellationToken: ct);
        }

        Assert.False(client.Closed.Task.IsCompleted);
    }

    [Fact(Timeout = Timeout)]
    public async Task HandshakeThatNeverCompletesIsDropped()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings { Connector = { HandshakeTimeout = TimeSpan.FromSeconds(1) }, Functions = { InProcessWorkers = 0 } });
        using var metrics = new MetricsRecorder(host.Services);
        using var slowloris = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var idle = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var endpoint = new IPEndPoint(IPAddress.Loopback, host.BaseUri.Port);
        await slowloris.ConnectAsync(endpoint, ct);
        await idle.ConnectAsync(endpoint, ct);
        await slowloris.SendAsync(Encoding.ASCII.GetBytes("GET /client/hubs/chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"), ct);

        var started = Stopwatch.StartNew();
        Assert.True(await ClosedByServerAsync(slowloris, ct));
        Assert.True(await ClosedByServerAsync(idle, ct));
        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));
        await Wait.UntilAsync(() => metrics.Total("brokerchat.connector.connections.rejected", "handshake_timeout") == 2, ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task MessageOverTheSizeLimitClosesWith1009AndAReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings { Connector = { MaxMessageBytes = 65536 }, Functions = { InProcessWorkers = 0 } });
        using var metrics = new MetricsRecorder(host.Services);
        await using var client = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("big", "u"), cancellationToken: ct);

        await client.SendRawAsync("{\"type\":\"sendToGroup\",\"group\":\"g\",\"dataType\":\"text\",\"data\":\"" + new string('x', 70_000) + "\"}", ct);

        var (status, description) = await client.WaitForCloseAsync(ct);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Contains("65536", description, StringComparison.Ordinal);
        await Wait.UntilAsync(() => metrics.Total("brokerchat.connector.connections.closed", "message_too_big") == 1, ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task ConnectionCapsRefuseUpgradesWithTheDocumentedStatus()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Connector = { MaxConnections = 3, MaxConnectionsPerUser = 2 },
            Functions = { InProcessWorkers = 0 },
        });
        using var metrics = new MetricsRecorder(host.Services);
        await using var a1 = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("caps", "alice"), cancellationToken: ct);
        await using var a2 = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("caps", "alice"), cancellationToken: ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, await RefusedStatusAsync(host.ClientUrl("caps", "alice"), ct));
        await using var b1 = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("caps", "bob"), cancellationToken: ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await RefusedStatusAsync(host.ClientUrl("caps", "carol"), ct));

        await a1.CloseAsync();
        await Wait.UntilAsync(() => host.Services.GetRequiredService<ConnectionLimiter>().Total == 2, ct);
        await using var c1 = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("caps", "carol"), cancellationToken: ct);
        Assert.Equal(1, metrics.Total("brokerchat.connector.connections.rejected", "max_per_user"));
        Assert.Equal(1, metrics.Total("brokerchat.connector.connections.rejected", "max_connections"));
    }

    [Fact(Timeout = Timeout)]
    public async Task ConnectionsPerAddressAreCapped()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Connector = { MaxConnectionsPerAddress = 1 },
            Functions = { InProcessWorkers = 0 },
        });
        var url = host.ClientUrl("addr", "u");
        await using var first = await WebPubSubTestClient.ConnectUrlAsync(url, new() { ConfigureSocket = s => s.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0)) }, ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, await RefusedStatusAsync(url, ct, IPAddress.Parse("127.0.0.2")));
        await using var other = await WebPubSubTestClient.ConnectUrlAsync(url, new() { ConfigureSocket = s => s.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0)) }, ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task JoinBeyondTheGroupLimitGetsAnAckError()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings { Connector = { MaxGroupsPerConnection = 2 }, Functions = { InProcessWorkers = 0 } });
        await using var client = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("groups", "u"), cancellationToken: ct);

        Assert.True((await client.JoinGroupAsync("a", ct))!.Success);
        Assert.True((await client.JoinGroupAsync("b", ct))!.Success);
        Assert.True((await client.JoinGroupAsync("a", ct))!.Success);
        var third = await client.JoinGroupAsync("c", ct);

        Assert.False(third!.Success);
        Assert.Contains("maximum of 2 groups", third.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task FloodingClientIsRateLimitedThenDisconnected()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await BrokerChatHost.StartAsync(
            new HostSettings
            {
                Connector = { MaxMessagesPerSecond = 10, MessageBurst = 10, RateLimitDisconnectAfter = 20 },
                Functions = { InProcessWorkers = 0 },
            },
            services => services.AddSingleton<TimeProvider>(clock));
        using var metrics = new MetricsRecorder(host.Services);
        await using var flooder = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("flood", "f"), cancellationToken: ct);
        await using var bystander = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("flood", "b"), cancellationToken: ct);

        var acks = new List<Task<AckFrame>>();
        for (var i = 0; i < 30; i++)
        {
            acks.Add(await flooder.SendWithoutWaitingAsync(new JsonObject { ["type"] = "joinGroup", ["group"] = "g" }, ct));
        }

        var outcomes = await Task.WhenAll(acks);
        Assert.All(outcomes.Take(10), a => Assert.True(a.Success));
        Assert.All(outcomes.Skip(10), a => Assert.Equal("TooManyRequests", a.ErrorName));

        // Time passing refills the bucket: the client may send again.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await flooder.JoinGroupAsync("g", ct))!.Success);

        for (var i = 0; i < 40 && !flooder.Closed.Task.IsCompleted; i++)
        {
            try
            {
                await flooder.SendRawAsync("""{"type":"joinGroup","group":"g"}""", ct);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or SocketException)
            {
                break; // the server closed the connection while frames were still being sent
            }
        }

        var (status, description) = await flooder.WaitForCloseAsync(ct);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.StartsWith("RateLimited", description, StringComparison.Ordinal);
        Assert.True((await bystander.JoinGroupAsync("g", ct))!.Success);
        // 20 refused in the first burst; after the refill, 9 tokens are left and 11 more refusals pass the limit of 20.
        Assert.Equal(31, metrics.Total("brokerchat.connector.requests.rejected", "rate_limit"));
        Assert.Equal(1, metrics.Total("brokerchat.connector.connections.closed", "rate_limit"));
    }

    [Fact(Timeout = Timeout)]
    public async Task StalledReaderIsDisconnectedWhileOtherMembersKeepReceivingPromptly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Connector = { MaxMessageBytes = 65536, OutboundQueueBytes = 262144 },
        }.WithoutRateLimits());
        using var metrics = new MetricsRecorder(host.Services);
        var connections = host.Services.GetRequiredService<ConnectionIndex>();
        await using var sender = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("stall", "sender"), cancellationToken: ct);
        await using var healthy = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("stall", "healthy"), cancellationToken: ct);
        await using var stalled = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("stall", "stalled"), new() { ConfigureSocket = s => s.ReceiveBufferSize = 4096, Read = false }, ct);
        await healthy.JoinGroupAsync("room", ct);
        await stalled.SendRawAsync("""{"type":"joinGroup","group":"room"}""", ct);
        await Wait.UntilAsync(() => connections.GroupMembers("stall", "room").Length == 2, ct);

        var payload = new string('x', 8 * 1024);
        var latencies = new List<double>();
        var sent = 0;
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(2));
        while (metrics.Total("brokerchat.connector.connections.closed", "slow_client") == 0 || sent < 200)
        {
            Assert.True(sent < 5000, "the stalled reader was never disconnected");
            var at = Stopwatch.GetTimestamp();
            await sender.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "room", ["dataType"] = "text", ["data"] = payload }, withAck: false, ct);
            sent++;
            var (_, receivedAt) = await healthy.NextMessageWithTimestampAsync(ct);
            latencies.Add(Stopwatch.GetElapsedTime(at, receivedAt).TotalMilliseconds);
            await pace.WaitForNextTickAsync(ct);
        }

        latencies.Sort();
        var p99 = latencies[(int)(latencies.Count * 0.99)];
        // The bound: one stalled member never delays the others beyond normal pipeline latency (the embedded
        // Kafka's fetch wait is 10 ms per hop); 250 ms leaves room for a loaded 2-core CI machine.
        Assert.True(p99 < 250, $"p99 latency of the healthy member was {p99:F1} ms over {latencies.Count} messages");
        Assert.Equal(1, metrics.Total("brokerchat.connector.connections.closed", "slow_client"));
        Assert.Equal(2, connections.Count);
    }

    [Fact(Timeout = Timeout)]
    public async Task BrokerOutageGivesErrorAcksAndLosesNothingAcknowledged()
    {
        KafkaForTheRun.RequireEmbedded("it takes every broker down and brings them back");
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Connector = { AckTimeout = TimeSpan.FromSeconds(2), MaxPendingProduces = 5, InboundBackpressureTimeout = TimeSpan.FromSeconds(1) },
            // An outage shorter than the loss timeout, however slow this machine: clients stay and get error acks.
            ["Connector:KafkaLossTimeout"] = TimeSpan.FromMinutes(5).ToString(),
        });
        var cluster = (EmbeddedKafkaCluster)host.Services.GetRequiredService<KafkaEndpoint>().Embedded!;
        await using var sender = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("outage", "sender"), cancellationToken: ct);
        await using var reader = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("outage", "reader"), cancellationToken: ct);
        await reader.JoinGroupAsync("room", ct);
        var tally = new MessageTally();
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reading = tally.ReceiveAsync(reader, "reader", ["room"], stopReading.Token);

        Assert.All(await tally.SendBatchAsync(sender, "sender", "room", 5, ct), a => Assert.True(a.Success, a.ErrorMessage));

        for (var broker = 1; broker <= cluster.BrokerCount; broker++)
        {
            cluster.SetBrokerDown(broker);
        }

        var during = new List<AckFrame>();
        for (var i = 0; i < 8; i++)
        {
            during.AddRange(await tally.SendBatchAsync(sender, "sender", "room", 1, ct));
        }

        // The first requests wait for Kafka and time out; once the bound of 5 is full the rest are refused as busy.
        Assert.All(during, a => Assert.False(a.Success));
        Assert.Contains(during, a => a.ErrorName == "Timeout");
        Assert.Contains(during, a => a.ErrorName == "InternalServerError" && a.ErrorMessage!.Contains("busy", StringComparison.Ordinal));

        for (var broker = 1; broker <= cluster.BrokerCount; broker++)
        {
            cluster.SetBrokerUp(broker);
        }

        // Once Kafka is back, requests succeed again; then every acknowledged message must have been delivered.
        var recovered = false;
        for (var attempt = 0; attempt < 30 && !recovered; attempt++)
        {
            recovered = (await tally.SendBatchAsync(sender, "sender", "room", 1, ct))[0].Success;
        }

        Assert.True(recovered, "requests did not succeed again after the brokers came back");
        await tally.SendBatchAsync(sender, "sender", "room", 5, ct);
        await Wait.UntilAsync(tally.ReachedLastSuccess, ct);
        await stopReading.CancelAsync();
        await reading.WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
        var counts = tally.Count();
        TestContext.Current.TestOutputHelper?.WriteLine(counts.Table());
        Assert.Equal(0, counts.LostAfterSuccess);
        Assert.Equal(0, counts.Duplicated);
        Assert.Equal(0, counts.Reordered);
    }

    [Fact(Timeout = Timeout)]
    public async Task GracefulShutdownTellsEveryClientToReconnectWith1012()
    {
        var ct = TestContext.Current.CancellationToken;
        var host = await BrokerChatHost.StartAsync(new HostSettings { Functions = { InProcessWorkers = 0 } });
        var clients = new List<WebPubSubTestClient>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                clients.Add(await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("bye", $"u{i}"), cancellationToken: ct));
            }

            await host.DisposeAsync();

            foreach (var client in clients)
            {
                var (status, description) = await client.WaitForCloseAsync(ct);
                Assert.Equal((WebSocketCloseStatus)1012, status);
                Assert.Contains("restarting", description, StringComparison.Ordinal);
                await client.WaitForFrameAsync(f => (string?)f["event"] == "disconnected", ct);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task ThousandsOfConnectionsEndingCleanlyAbruptlyOrSilentlyLeakNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(clock, new HostSettings().WithoutRateLimits());
        var connections = host.Services.GetRequiredService<ConnectionIndex>();
        var limiter = host.Services.GetRequiredService<ConnectionLimiter>();
        var capacity = host.Services.GetRequiredService<InboundCapacity>();
        var url = host.ClientUrl("cycles", "u");
        const int cycles = 2000;
        const int batch = 100;
        for (var start = 0; start < cycles; start += batch)
        {
            // Two thirds are well-behaved clients that leave cleanly or abruptly; a third go silent (half-open:
            // connected, but they never read, answer a ping, or speak again).
            var clients = await Task.WhenAll(Enumerable.Range(0, batch * 2 / 3).Select(_ => WebPubSubTestClient.ConnectUrlAsync(url, cancellationToken: ct)));
            var silent = await Task.WhenAll(Enumerable.Range(0, batch - clients.Length).Select(_ => RawWebSocket.ConnectAsync(url, ct)));
            await Task.WhenAll(clients.Select(async (c, i) =>
            {
                await c.JoinGroupAsync("room-" + (i % 7), ct);
                // A request still pending when the connection ends must not leave anything behind.
                await c.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "room", ["data"] = i }, withAck: false, ct);
                await c.SendRawAsync("""{"type":"sendToGroup","group":"room","data":1,"ackId":999}""", ct);
            }));
            await Task.WhenAll(silent.Select(async (c, i) =>
            {
                await c.SendTextAsync($$"""{"type":"joinGroup","group":"room-{{i % 7}}"}""", ct);
                await c.SendTextAsync("""{"type":"sendToGroup","group":"room","data":1,"ackId":999}""", ct);
            }));
            await Wait.UntilAsync(() => connections.Count == clients.Length + silent.Length, ct);

            for (var i = 0; i < clients.Length; i++)
            {
                if (i % 2 == 1)
                {
                    clients[i].Abort(); // TCP reset, no close frame
                }

                await clients[i].DisposeAsync(); // otherwise a clean close
            }

            // The silent ones are found by the client timeout; they do not answer the close, so the close timeout aborts them.
            await Wait.UntilAsync(() => connections.Count == silent.Length, ct);
            clock.Advance(TimeSpan.FromSeconds(31));
            await Wait.UntilAsync(() => connections.All.All(c => c.IsClosing), ct);
            clock.Advance(TimeSpan.FromSeconds(6));
            await Wait.UntilAsync(() => connections.Count == 0 && connections.ActiveHandlers == 0, ct);
            foreach (var client in silent)
            {
                await client.DisposeAsync();
            }
        }

        Assert.Equal(0, connections.Count);
        Assert.Equal(0, connections.GroupCount);
        Assert.Equal(0, connections.ActiveHandlers);
        Assert.Equal(0, limiter.Total);
        Assert.Equal(0, limiter.TrackedKeys);
        await Wait.UntilAsync(() => capacity.Pending == 0, ct);
    }

    // A fake clock jumps ahead of Kafka's confirmations, which come in real time: the Kafka loss check is off here.
    private static Task<BrokerChatHost> StartAsync(FakeTimeProvider clock, HostSettings? settings = null) =>
        BrokerChatHost.StartAsync(WithoutKafkaLossCheck(settings ?? new HostSettings()), services => services.AddSingleton<TimeProvider>(clock));

    private static HostSettings WithoutKafkaLossCheck(HostSettings settings)
    {
        settings["Connector:KafkaLossTimeout"] = TimeSpan.Zero.ToString();
        return settings;
    }

    private static async Task<bool> ClosedByServerAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), ct) > 0)
            {
                // Kestrel may answer before it closes; read until the end of the stream.
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static async Task<HttpStatusCode?> RefusedStatusAsync(Uri url, CancellationToken ct, IPAddress? source = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("json.webpubsub.azure.v1");
        socket.Options.CollectHttpResponseDetails = true;
        using var invoker = source is null ? SocketInvoker.Create(null) : SocketInvoker.From(source);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, invoker, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct));
        return socket.HttpStatusCode;
    }
}
