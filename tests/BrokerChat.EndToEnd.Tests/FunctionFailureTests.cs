using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Hosting;
using BrokerChat.Kafka;
using BrokerChat.Testing;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// A request handler that fails on demand, in front of the chat function: requests whose text starts with
/// <c>flaky:N</c> fail their first N tries, <c>broken</c> always fails, and every request to a room listed in
/// <see cref="FailingRooms"/> fails while it is listed.
/// </summary>
public sealed class ScriptedFailures(ChatFunction function) : IRequestHandler
{
    private readonly ChatFunctionHandler _inner = new(function);
    private readonly ConcurrentDictionary<InboundPosition, int> _tries = new();

    public ConcurrentDictionary<string, bool> FailingRooms { get; } = new();

    public int FailedTries => _failed;

    private int _failed;

    public ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken)
    {
        var tries = _tries.AddOrUpdate(position, 1, (_, n) => n + 1);
        var text = frame.DataType == DataType.Binary ? "" : Encoding.UTF8.GetString(frame.Payload).Trim('"');
        var fail = (frame.Group is { } group && FailingRooms.ContainsKey(group))
            || text.StartsWith("broken", StringComparison.Ordinal)
            || (text.StartsWith("flaky:", StringComparison.Ordinal) && tries <= int.Parse(text[6..text.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture));
        if (fail)
        {
            Interlocked.Increment(ref _failed);
            throw new InvalidOperationException($"Dependency unavailable (try {tries}).");
        }

        return _inner.HandleAsync(frame, position, cancellationToken);
    }
}

/// <summary>One BrokerChat whose functions run <see cref="ScriptedFailures"/>, with fast retries and small partition queues.</summary>
public class FailingFunctionsFixture : IAsyncLifetime
{
    public const int MaxAttempts = 4;

    public BrokerChatHost Host { get; private set; } = null!;

    /// <summary>Tries before a request is dead-lettered.</summary>
    protected virtual int Attempts => MaxAttempts;

    public ScriptedFailures Failures => Host.Services.GetRequiredService<ScriptedFailures>();

    public async ValueTask InitializeAsync() =>
        Host = await BrokerChatHost.StartAsync(
            BrokerChatHost.WithoutRateLimits(new Dictionary<string, string>
            {
                ["Functions:InProcessWorkers"] = "2",
                ["Functions:MaxAttempts"] = Attempts.ToString(CultureInfo.InvariantCulture),
                ["Functions:RetryDelay"] = "00:00:00.010",
                ["Functions:MaxRetryDelay"] = "00:00:00.050",
                ["Functions:MaxInFlightPerPartition"] = "4",
                ["Connector:AckTimeout"] = "00:01:00",
            }),
            services =>
            {
                services.AddSingleton<ScriptedFailures>();
                services.AddSingleton<IRequestHandler>(sp => sp.GetRequiredService<ScriptedFailures>());
            });

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Functions that retry a failing request for a long while (100 tries) before giving up on it.</summary>
public sealed class PatientFunctionsFixture : FailingFunctionsFixture
{
    protected override int Attempts => 100;
}

/// <summary>What the functions do when handling a request fails: retry, and dead-letter what keeps failing.</summary>
public sealed class FunctionFailureTests(FailingFunctionsFixture fixture) : IClassFixture<FailingFunctionsFixture>
{
    private const int Timeout = 60_000;
    private const int Partitions = 12;

    [Fact(Timeout = Timeout)]
    public async Task RequestThatFailsTransientlyIsRetriedAndDeliveredOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await fixture.Host.ConnectAsync("retry", "alice", ct);
        await alice.JoinGroupAsync("g", ct);
        var failedBefore = fixture.Failures.FailedTries;

        var ack = await alice.SendToGroupAsync("g", "flaky:2 hello", cancellationToken: ct);
        var after = await alice.SendToGroupAsync("g", "after", cancellationToken: ct);

        Assert.True(ack!.Success, ack.ErrorMessage);
        Assert.True(after!.Success, after.ErrorMessage);
        Assert.Equal("flaky:2 hello", (string?)(await alice.NextMessageAsync(ct))["data"]);
        Assert.Equal("after", (string?)(await alice.NextMessageAsync(ct))["data"]);
        Assert.True(fixture.Failures.FailedTries - failedBefore >= 2);
        await alice.PingAsync(ct);
        Assert.False(alice.TryTakeMessage(out _)); // delivered once
    }

    [Fact(Timeout = Timeout)]
    public async Task RequestThatKeepsFailingGoesToTheDeadLetterTopicAndItsSenderIsTold()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await fixture.Host.ConnectAsync("deadletter", "alice", ct);
        await alice.JoinGroupAsync("g", ct);

        var ack = await alice.SendToGroupAsync("g", "broken beyond repair", cancellationToken: ct);
        var next = await alice.SendToGroupAsync("g", "next one", cancellationToken: ct);

        Assert.False(ack!.Success);
        Assert.Equal(AckErrorNames.InternalServerError, ack.ErrorName);
        Assert.Contains($"after {FailingFunctionsFixture.MaxAttempts} tries", ack.ErrorMessage, StringComparison.Ordinal);
        Assert.True(next!.Success, next.ErrorMessage);
        Assert.Equal("next one", (string?)(await alice.NextMessageAsync(ct))["data"]);

        var dead = await ReadDeadLetterAsync(r => Header(r, DeadLetterHeaders.Reason)?.Contains("Dependency unavailable", StringComparison.Ordinal) == true
            && Encoding.UTF8.GetString(r.Message.Value).Contains("broken beyond repair", StringComparison.Ordinal), ct);
        Assert.Equal(FailingFunctionsFixture.MaxAttempts.ToString(CultureInfo.InvariantCulture), Header(dead, DeadLetterHeaders.Attempts));
        Assert.Equal(Topics.Inbound, Header(dead, DeadLetterHeaders.SourceTopic));
        Assert.Equal(PartitionKeys.Room("deadletter", "g"), dead.Message.Key);
        Assert.Equal(PartitionKeys.PartitionOf(dead.Message.Key, Partitions).ToString(CultureInfo.InvariantCulture), Header(dead, DeadLetterHeaders.SourcePartition));
        Assert.Contains("InvalidOperationException", Header(dead, DeadLetterHeaders.Reason), StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task RecordThatIsNotARequestGoesToTheDeadLetterTopicAndItsPartitionMovesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await fixture.Host.ConnectAsync("poison", "alice", ct);
        await alice.JoinGroupAsync("g", ct);
        var key = PartitionKeys.Room("poison", "g");
        var garbage = new byte[] { 0xc1, 0x01, 0x02, 0x03 };

        var produced = await fixture.Host.Services.GetRequiredService<KafkaProducerHost>().Producer
            .ProduceAsync(Topics.Inbound, new Message<byte[], byte[]> { Key = key, Value = garbage }, ct);
        var after = await alice.SendToGroupAsync("g", "still flowing", cancellationToken: ct);

        Assert.True(after!.Success, after.ErrorMessage);
        Assert.Equal("still flowing", (string?)(await alice.NextMessageAsync(ct))["data"]);
        var dead = await ReadDeadLetterAsync(r => Header(r, DeadLetterHeaders.SourceOffset) == produced.Offset.Value.ToString(CultureInfo.InvariantCulture)
            && Header(r, DeadLetterHeaders.SourcePartition) == produced.Partition.Value.ToString(CultureInfo.InvariantCulture), ct);
        Assert.Equal(garbage, dead.Message.Value);
        Assert.Equal("1", Header(dead, DeadLetterHeaders.Attempts));
        Assert.StartsWith("Not a valid request", Header(dead, DeadLetterHeaders.Reason), StringComparison.Ordinal);
    }

    private KafkaTopics Topics => fixture.Host.Services.GetRequiredService<KafkaEndpoint>().Topics;

    private static string? Header(ConsumeResult<byte[], byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;

    private async Task<ConsumeResult<byte[], byte[]>> ReadDeadLetterAsync(Func<ConsumeResult<byte[], byte[]>, bool> match, CancellationToken cancellationToken)
    {
        var factory = fixture.Host.Services.GetRequiredService<KafkaClientFactory>();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(factory.ConsumerConfig("dead-letter-reader", $"dead-letter-reader-{Guid.NewGuid():N}")).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topics.DeadLetter, p, Offset.Beginning)));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        return await Task.Run(
            () =>
            {
                while (true)
                {
                    var record = consumer.Consume(timeout.Token);
                    if (record?.Message is not null && match(record))
                    {
                        return record;
                    }
                }
            },
            timeout.Token);
    }
}

/// <summary>A partition waiting on retries holds up no other partition.</summary>
public sealed class FunctionRetryIsolationTests(PatientFunctionsFixture fixture) : IClassFixture<PatientFunctionsFixture>
{
    private const int Timeout = 60_000;
    private const int Partitions = 12;

    [Fact(Timeout = Timeout)]
    public async Task RoomWhoseRequestsKeepFailingHoldsUpNoOtherRoomAndCatchesUpInOrderOnceTheyPass()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "isolation";
        var (stuck, free) = RoomsOnDifferentPartitions(hub);
        await using var alice = await fixture.Host.ConnectAsync(hub, "alice", ct);
        await alice.JoinGroupAsync(stuck, ct);
        await alice.JoinGroupAsync(free, ct);
        using var metrics = new MetricsRecorder(fixture.Host.Services, FunctionsMetrics.MeterName);
        fixture.Failures.FailingRooms[stuck] = true;
        var failedBefore = fixture.Failures.FailedTries;

        // More than the partition's queue holds (4): the worker pauses that partition alone.
        var stuckAcks = new List<Task<AckFrame>>();
        for (var i = 0; i < 12; i++)
        {
            stuckAcks.Add(await alice.SendWithoutWaitingAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = stuck, ["dataType"] = "text", ["data"] = $"s{i}" }, ct));
        }

        await Wait.UntilAsync(() => fixture.Failures.FailedTries - failedBefore >= 2, ct);
        for (var i = 0; i < 5; i++)
        {
            var ack = await alice.SendToGroupAsync(free, $"f{i}", cancellationToken: ct);
            Assert.True(ack!.Success, ack.ErrorMessage);
            Assert.Equal($"f{i}", (string?)(await alice.NextMessageAsync(ct))["data"]);
        }

        Assert.All(stuckAcks, a => Assert.False(a.IsCompleted));
        await Wait.UntilAsync(() => metrics.Total("brokerchat.functions.pauses") > 0, ct);
        var stuckPartition = PartitionKeys.PartitionOf(PartitionKeys.Room(hub, stuck), Partitions);
        await Wait.UntilAsync(() => metrics.Observe("brokerchat.functions.lag", "partition", stuckPartition) >= 12, ct);
        fixture.Failures.FailingRooms.TryRemove(stuck, out _);

        var outcomes = await Task.WhenAll(stuckAcks);
        Assert.All(outcomes, a => Assert.True(a.Success, a.ErrorMessage));
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal($"s{i}", (string?)(await alice.NextMessageAsync(ct))["data"]);
        }

        await Wait.UntilAsync(() => metrics.Observe("brokerchat.functions.lag", "partition", stuckPartition) == 0, ct);
    }

    private static (string Stuck, string Free) RoomsOnDifferentPartitions(string hub)
    {
        var stuckPartition = PartitionKeys.PartitionOf(PartitionKeys.Room(hub, "stuck"), Partitions);
        var free = Enumerable.Range(0, 100).Select(i => $"free{i}")
            .First(g => PartitionKeys.PartitionOf(PartitionKeys.Room(hub, g), Partitions) != stuckPartition);
        return ("stuck", free);
    }
}
