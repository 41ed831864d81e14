using System.Collections.Concurrent;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using Microsoft.Extensions.DependencyInjection;
using static BrokerChat.Functions.Tests.Kafka.TestRequests;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>
/// A request read after its connector stopped waiting for its outcome (<see cref="InboundFrame.AnswerBy"/>) is
/// skipped: its sender was told <c>Timeout</c>, so nothing is delivered late and no work is spent on it.
/// </summary>
public sealed class AnswerByWorkerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task ABacklogWhoseSendersWereAlreadyToldTimeoutIsSkippedUnhandledUndeliveredCountedAndCommitted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kafka = new WorkerKafka();
        var group = $"g{Guid.NewGuid():N}";
        const string room = "room-0";
        var outbound = kafka.Read(kafka.Topics.Outbound);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<string>();
        await using var host = await WorkerHost.StartAsync(kafka, group, _ => new DelegateHandler(async (frame, position, token) =>
        {
            if (Text(frame) == "first")
            {
                held.TrySetResult();
                await release.Task.WaitAsync(token);
            }

            handled.Enqueue(Text(frame));
            return [GroupMessage(frame, position)];
        }), null, ct);

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // The room's slot is held while a backlog piles up behind it: answers past due, interleaved with some still awaited.
        await kafka.ProduceAsync(PartitionKeys.Room(Hub, room), Frame(room, "first", 1, answerBy: 0), ct);
        await Eventually.CompletesAsync(held.Task, Patience, "the first record is being handled", ct);
        var expected = new List<string> { "first" };
        for (var i = 0; i < 40; i++)
        {
            var awaited = i % 10 == 9;
            var text = awaited ? $"awaited-{i}" : $"late-{i}";
            await kafka.ProduceAsync(PartitionKeys.Room(Hub, room), Frame(room, text, (ulong)(i + 2), awaited ? now + 600_000 : now - 1), ct);
            if (awaited)
            {
                expected.Add(text);
            }
        }

        var last = await kafka.ProduceAsync(PartitionKeys.Room(Hub, room), Frame(room, "no-deadline", 100, answerBy: 0), ct);
        expected.Add("no-deadline");
        release.SetResult();

        var records = await outbound.WaitForAsync(r => r.Any(d => d.Text == "no-deadline"), Patience, "the backlog's last record is delivered", ct);
        Assert.Equal(expected, handled);
        Assert.Equal(expected, records.Select(r => r.Text));
        Assert.Equal(36, host.Worker.Expired);
        // Skipped records are finished: the position the embedded cluster's retention keeps from, and the commit, go past them.
        var positions = host.Services.GetRequiredService<RetentionReaders>().AddGroup(group, kafka.Topics.Inbound);
        await Eventually.HoldsAsync(() => positions.Position(last.Partition.Value) == last.Offset.Value + 1, Patience, "the group's position is reported past the backlog", ct);
        await host.StopAsync();
        Assert.Equal(last.Offset.Value + 1, kafka.Committed(group, last.Partition.Value));
    }

    private static InboundFrame Frame(string room, string text, ulong ackId, long answerBy)
    {
        var frame = ToGroup(room, text, ackId);
        frame.AnswerBy = answerBy;
        return frame;
    }
}
