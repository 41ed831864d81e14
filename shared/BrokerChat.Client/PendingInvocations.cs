namespace BrokerChat.Client;

/// <summary>
/// The invocations that wait for their responses, by invocation id, bounded by
/// <see cref="BrokerChatClientOptions.MaxPendingInvocations"/>. An entry leaves when its response arrives, when its
/// caller stops waiting, or when the socket it was written to is lost.
/// </summary>
internal sealed class PendingInvocations(int capacity)
{
    private readonly Dictionary<string, PendingInvocation> _table = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int Capacity { get; } = capacity;

    /// <summary>Adds an invocation; false when <see cref="Capacity"/> invocations already wait.</summary>
    public bool TryAdd(PendingInvocation invocation)
    {
        lock (_lock)
        {
            return _table.Count < Capacity && _table.TryAdd(invocation.InvocationId, invocation);
        }
    }

    /// <summary>Removes this invocation; false when it already left (answered, or failed with its socket).</summary>
    public bool Remove(PendingInvocation invocation)
    {
        lock (_lock)
        {
            return _table.TryGetValue(invocation.InvocationId, out var entry) && ReferenceEquals(entry, invocation) && _table.Remove(invocation.InvocationId);
        }
    }

    /// <summary>
    /// Takes the invocation a response on <paramref name="transport"/> answers: null for an id nobody waits for (a
    /// late or unknown response), or for an invocation that was not written to that socket.
    /// </summary>
    public PendingInvocation? TakeAnswered(string invocationId, ClientTransport transport)
    {
        lock (_lock)
        {
            if (!_table.TryGetValue(invocationId, out var invocation) || !ReferenceEquals(invocation.Transport, transport))
            {
                return null;
            }

            _table.Remove(invocationId);
            return invocation;
        }
    }

    /// <summary>Fails the invocations written to <paramref name="transport"/>, a lost socket; those not yet written wait for the next one.</summary>
    public void FailWrittenTo(ClientTransport transport, string message) =>
        FailWhere(invocation => ReferenceEquals(invocation.Transport, transport), message);

    /// <summary>Fails every invocation (the client stopped).</summary>
    public void FailAll(string message) => FailWhere(_ => true, message);

    private void FailWhere(Func<PendingInvocation, bool> lost, string message)
    {
        List<PendingInvocation> failed;
        lock (_lock)
        {
            failed = [.. _table.Values.Where(lost)];
            foreach (var invocation in failed)
            {
                _table.Remove(invocation.InvocationId);
            }
        }

        foreach (var invocation in failed)
        {
            invocation.Fail(message);
        }
    }
}
