using BrokerChat.Client.Protocol;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Client;

/// <summary>
/// A request with an ackId that waits for its ack. It keeps its encoded frame so that it can be sent again, with the
/// same ackId, on the next connection if the one it was written to drops first.
/// </summary>
internal sealed class PendingRequest(ulong ackId, byte[] frame)
{
    private readonly TaskCompletionSource<WebPubSubResult> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ulong AckId { get; } = ackId;

    public byte[] Frame { get; } = frame;

    /// <summary>Written to some connection at least once (so a drop means it must be sent again).</summary>
    public bool Written { get; set; }

    /// <summary>How many times it was sent again after a drop.</summary>
    public int Resends { get; set; }

    public Task<WebPubSubResult> Outcome => _outcome.Task;

    /// <summary>Resolves from the server's ack: success, <c>Duplicate</c> (success, already done) or an error.</summary>
    public void Complete(ServerFrame ack)
    {
        if (ack.Success)
        {
            _outcome.TrySetResult(new WebPubSubResult(AckId, IsDuplicated: false));
        }
        else if (string.Equals(ack.ErrorName, AckErrorNames.Duplicate, StringComparison.Ordinal))
        {
            _outcome.TrySetResult(new WebPubSubResult(AckId, IsDuplicated: true));
        }
        else
        {
            var message = ack.ErrorMessage ?? $"The server refused the request with ackId {AckId}.";
            _outcome.TrySetException(new SendMessageFailedException(AckId, ack.ErrorName, message));
        }
    }

    public void Fail(string message) => _outcome.TrySetException(new SendMessageFailedException(AckId, null, message));
}
