namespace BrokerChat.Connector.Connections;

/// <summary>The acks a connection waits for: requests handed to Kafka whose outcome has not arrived, and the window of ackIds that succeeded.</summary>
internal sealed partial class ClientConnection
{
    public int PendingAckCount
    {
        get
        {
            lock (_gate)
            {
                return _pendingAcks?.Count ?? 0;
            }
        }
    }

    /// <summary>
    /// The process-wide count of requests awaiting an outcome that this connection's pending acks and invocations
    /// take part in, or null for none.
    /// </summary>
    public AwaitedOutcomes? AwaitedOutcomes { get; init; }

    /// <summary>Registers a request awaiting its outcome; false, with the reason, when the ackId is already pending or too many are.</summary>
    public bool TryAddPendingAck(ulong ackId, long deadlineTimestamp, out PendingRefusal refusal)
    {
        lock (_gate)
        {
            return (_pendingAcks ??= new PendingDeadlines<ulong>(MaxPendingAcks, AwaitedOutcomes)).TryAdd(ackId, deadlineTimestamp, out refusal);
        }
    }

    /// <summary>Records that the request with <paramref name="ackId"/> was carried out, so that a repeat is answered <c>Duplicate</c>.</summary>
    public void RecordSucceeded(ulong ackId)
    {
        lock (_gate)
        {
            (_succeeded ??= new AckIdWindow()).Add(ackId);
        }
    }

    /// <summary>Whether a request with <paramref name="ackId"/> was already carried out on this connection.</summary>
    public bool HasSucceeded(ulong ackId)
    {
        lock (_gate)
        {
            return _succeeded?.Contains(ackId) == true;
        }
    }

    /// <summary>Removes a pending ack; true when it was pending (so its outcome should be sent now).</summary>
    public bool TryCompleteAck(ulong ackId)
    {
        lock (_gate)
        {
            return _pendingAcks?.Remove(ackId) == true;
        }
    }

    /// <summary>Removes and returns the acks whose deadline passed.</summary>
    public List<ulong>? ExpireAcks(long nowTimestamp)
    {
        lock (_gate)
        {
            return _pendingAcks?.Expire(nowTimestamp);
        }
    }

    /// <summary>Drops every pending ack and invocation (the connection ended).</summary>
    public void ClearPendingAcks()
    {
        lock (_gate)
        {
            _pendingAcks?.Clear();
            _pendingInvocations?.Clear();
            _pendingAcks = null;
            _pendingInvocations = null;
        }
    }
}
