namespace BrokerChat.Connector.Connections;

/// <summary>
/// The invocations a connection waits for: <c>invoke</c> requests handed to Kafka whose <c>invokeResponse</c> has not
/// arrived, each with its deadline, bounded as pending acks are.
/// </summary>
internal sealed partial class ClientConnection
{
    private const int MaxPendingInvocations = MaxPendingAcks;

    private PendingDeadlines<string>? _pendingInvocations;

    public int PendingInvocationCount
    {
        get
        {
            lock (_gate)
            {
                return _pendingInvocations?.Count ?? 0;
            }
        }
    }

    /// <summary>Registers an invocation awaiting its response; false, with the reason, when the id is already pending or too many are.</summary>
    public bool TryAddPendingInvocation(string invocationId, long deadlineTimestamp, out PendingRefusal refusal)
    {
        lock (_gate)
        {
            return (_pendingInvocations ??= new PendingDeadlines<string>(MaxPendingInvocations, AwaitedOutcomes, StringComparer.Ordinal)).TryAdd(invocationId, deadlineTimestamp, out refusal);
        }
    }

    /// <summary>Removes a pending invocation; true when it was pending (so its response should be sent now).</summary>
    public bool TryCompleteInvocation(string invocationId)
    {
        lock (_gate)
        {
            return _pendingInvocations?.Remove(invocationId) == true;
        }
    }

    /// <summary>Removes and returns the invocations whose deadline passed.</summary>
    public List<string>? ExpireInvocations(long nowTimestamp)
    {
        lock (_gate)
        {
            return _pendingInvocations?.Expire(nowTimestamp);
        }
    }
}
