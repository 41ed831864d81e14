using System.Text;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using Confluent.Kafka;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

// Control records (header InboundHeaders.Control): acted on by the poll thread as it reads them, not queued behind
// their key, because what they control is the record being handled there. A cancelInvocation cancels the token of
// the invocation when it runs in this process; the record is finished at once, in its place in the commit order, and
// nothing is produced for it. Poll thread.
public sealed partial class KafkaFunctionWorker
{
    private static readonly byte[] ControlCancel = Encoding.UTF8.GetBytes(InboundHeaders.ControlCancel);

    /// <summary>Whether <paramref name="record"/> is a cancel control record.</summary>
    internal static bool IsCancel(ConsumeResult<byte[], byte[]> record) =>
        record.Message.Headers is { } headers
        && headers.TryGetLastBytes(InboundHeaders.Control, out var value)
        && value.AsSpan().SequenceEqual(ControlCancel);

    private void Cancel(PartitionLane lane, ConsumeResult<byte[], byte[]> record)
    {
        var offset = record.Offset.Value;
        try
        {
            var frame = ContractSerializer.DeserializeInbound(record.Message.Value);
            if (frame.InvocationId is { Length: > 0 } invocationId)
            {
                var running = _invocations.Cancel(frame.ConnectionId, invocationId);
                Log.CancelRead(_logger, lane.Partition, offset, invocationId, frame.ConnectionId, running);
            }
            else
            {
                Log.InvalidCancel(_logger, lane.Partition, offset, "it names no invocation");
            }
        }
        catch (ContractException ex)
        {
            Log.InvalidCancel(_logger, lane.Partition, offset, ex.Message);
        }

        _offsets.Pass(lane.Progress, offset);
    }
}
