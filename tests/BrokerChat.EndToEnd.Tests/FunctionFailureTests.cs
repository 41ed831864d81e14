using System.Globalization;
using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

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
