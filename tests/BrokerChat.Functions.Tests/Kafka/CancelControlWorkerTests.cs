using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Invocations;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using static BrokerChat.Functions.Tests.Kafka.TestRequests;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>A cancel control record reaches the invocation it names at once, ahead of its key's queue, and is committed in its place.</summary>
public sealed class CancelControlWorkerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task CancelRecordCancelsTheRunningInvocationOnItsOwnKeyAndIsCommittedWithNothingProducedForIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kafka = new WorkerKafka();
        const string connection = "conn-3";
        var key = PartitionKeys.Connection(Hub, connection);
        var partition = PartitionKeys.PartitionOf(key, WorkerKafka.Partitions);
        var group = $"g{Guid.NewGuid():N}";
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        await using var host = await WorkerHost.StartAsync(kafka, group, services => new DelegateHandler(async (frame, position, token) =>
        {
            Interlocked.Increment(ref calls);
            // As the hub dispatcher does: the invocation's token is cancelled by the worker or by a cancel of it.
            using var invocation = services.GetRequiredService<RunningInvocations>().Register(frame.ConnectionId, frame.InvocationId!, token);
            running.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, invocation.Token);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                cancelled.TrySetResult();
            }

            return [ConnectionMessage(frame, position)];
        }), null, ct);

        var invoke = Event(connection, "slow work");
        invoke.Kind = InboundKind.Invoke;
        invoke.InvocationId = "inv-1";
        await kafka.ProduceAsync(key, invoke, ct);
        await Eventually.CompletesAsync(running.Task, Patience, "the invocation is running", ct);
        var cancel = new InboundFrame { Kind = InboundKind.CancelInvocation, Hub = Hub, ConnectionId = connection, ConnectorId = "connector-1", InvocationId = "inv-1" };
        var headers = new Headers { { InboundHeaders.Control, Encoding.UTF8.GetBytes(InboundHeaders.ControlCancel) } };
        var position = await kafka.ProduceAsync(key, cancel, ct, headers);

        await Eventually.CompletesAsync(cancelled.Task, Patience, "the running invocation's token is cancelled", ct);
        await Eventually.HoldsAsync(() => kafka.Committed(group, partition) == position.Offset.Value + 1, Patience, "the cancel record is committed", ct);
        await Eventually.HoldsAsync(() => host.Worker.InFlight == 0, Patience, "every record is finished", ct);

        Assert.Equal(1, calls);
        Assert.Equal(1, kafka.Count(kafka.Topics.Outbound));
    }
}
