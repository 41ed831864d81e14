using System.Collections.Concurrent;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Chat;
using static BrokerChat.Functions.Tests.Kafka.TestRequests;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>A key slot hands what it has queued to the handler in one call, and falls back to one record at a time when that call keeps failing.</summary>
public sealed class BatchWorkerTests
{
    private const int Timeout = 60_000;
    private const int MaxAttempts = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact(Timeout = Timeout)]
    public async Task RecordsQueuedBehindABusyRecordOfTheirRoomReachTheHandlerInOneBatchCall()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kafka = new WorkerKafka();
        var outbound = kafka.Read(kafka.Topics.Outbound);
        var script = new Script();
        await using var host = await WorkerHost.StartAsync(kafka, $"g{Guid.NewGuid():N}", _ => script.Handler(), null, ct);

        await kafka.SendAsync("room-0", "hold", ct);
        await Eventually.CompletesAsync(script.Holding.Task, Patience, "the first record is being handled", ct);
        foreach (var text in new[] { "r1", "r2", "r3", "r4", "r5" })
        {
            await kafka.SendAsync("room-0", text, ct);
        }

        await Eventually.HoldsAsync(() => host.Worker.InFlight == 6, Patience, "the five records are queued behind the first", ct);
        script.Release.TrySetResult();
        var records = await outbound.WaitForAsync(r => r.Count == 6, Patience, "every record's delivery arrives", ct);

        Assert.Equal(["hold"], script.Singles);
        Assert.Equal([["r1", "r2", "r3", "r4", "r5"]], script.Batches);
        Assert.Equal(["hold", "r1", "r2", "r3", "r4", "r5"], records.Select(r => r.Text));
        Assert.Equal(records.Select(r => r.Delivery!.MessageId).Distinct().Count(), records.Count);
    }

    [Fact(Timeout = Timeout)]
    public async Task BatchThatKeepsFailingIsTriedRecordByRecordSoOnlyTheFailingRecordIsDeadLetteredAndItsSenderToldSo()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kafka = new WorkerKafka();
        var outbound = kafka.Read(kafka.Topics.Outbound);
        var deadLetters = kafka.Read(kafka.Topics.DeadLetter);
        var script = new Script();
        var settings = new Dictionary<string, string?>
        {
            ["Functions:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Functions:RetryDelay"] = "00:00:00.010",
            ["Functions:MaxRetryDelay"] = "00:00:00.020",
        };
        await using var host = await WorkerHost.StartAsync(kafka, $"g{Guid.NewGuid():N}", _ => script.Handler(), settings, ct);

        await kafka.SendAsync("room-0", "hold", ct);
        await Eventually.CompletesAsync(script.Holding.Task, Patience, "the first record is being handled", ct);
        await kafka.SendAsync("room-0", "g1", ct);
        var bad = await kafka.SendAsync("room-0", "bad", ct, ackId: 7);
        await kafka.SendAsync("room-0", "g2", ct);
        await Eventually.HoldsAsync(() => host.Worker.InFlight == 4, Patience, "the three records are queued behind the first", ct);
        script.Release.TrySetResult();
        await Eventually.HoldsAsync(() => host.Worker.InFlight == 0, Patience, "every record is finished", ct);
        var records = await outbound.WaitForAsync(r => r.Count == 4, Patience, "three deliveries and an ack error arrive", ct);
        var dead = await deadLetters.WaitForAsync(r => r.Count == 1, Patience, "the failing record is dead-lettered", ct);

        Assert.Equal([new[] { "g1", "bad", "g2" }], script.Batches); // tried once as a batch, then record by record
        Assert.Equal(["hold", "g1", "bad", "bad", "bad", "g2"], script.Singles);
        Assert.Equal(1, kafka.Count(kafka.Topics.DeadLetter));
        Assert.Equal(bad.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), dead[0].Header(DeadLetterHeaders.SourceOffset));
        Assert.Equal(MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture), dead[0].Header(DeadLetterHeaders.Attempts));
        Assert.Equal(["hold", "g1", "g2"], records.Where(r => r.Delivery!.HasMessage).Select(r => r.Text));
        var ack = Assert.Single(records, r => !r.Delivery!.HasMessage).Delivery!.Ack!;
        Assert.Equal((7ul, false, AckErrorNames.InternalServerError), (ack.AckId, ack.Success, ack.ErrorName));
    }

    /// <summary>
    /// A handler whose first request "hold" waits for <see cref="Release"/>, whose request "bad" always throws (and
    /// so does a batch holding it), recording each call.
    /// </summary>
    private sealed class Script
    {
        public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<string> Singles { get; } = new();

        public ConcurrentQueue<string[]> Batches { get; } = new();

        public BatchHandler Handler() => new(HandleAsync, HandleBatchAsync);

        private async ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken token)
        {
            var text = Text(frame);
            Singles.Enqueue(text);
            if (text == "hold")
            {
                Holding.TrySetResult();
                await Release.Task.WaitAsync(token);
            }

            return text == "bad" ? throw new InvalidOperationException("Dependency refused it.") : [GroupMessage(frame, position)];
        }

        private ValueTask<IReadOnlyList<IReadOnlyList<Delivery>>> HandleBatchAsync(
            IReadOnlyList<InboundFrame> frames, IReadOnlyList<InboundPosition> positions, CancellationToken token)
        {
            var texts = frames.Select(Text).ToArray();
            Batches.Enqueue(texts);
            return texts.Contains("bad")
                ? throw new InvalidOperationException("Dependency refused the batch.")
                : ValueTask.FromResult<IReadOnlyList<IReadOnlyList<Delivery>>>(
                    frames.Select((f, i) => (IReadOnlyList<Delivery>)[GroupMessage(f, positions[i])]).ToArray());
        }
    }
}
