using BrokerChat.Client.Protocol;

namespace BrokerChat.Client;

/// <summary>An invocation that waits for its <c>invokeResponse</c>.</summary>
internal sealed class PendingInvocation(string invocationId, byte[] frame)
{
    private readonly TaskCompletionSource<BrokerChatInvokeResult> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClientTransport? _transport;

    public string InvocationId { get; } = invocationId;

    public byte[] Frame { get; } = frame;

    /// <summary>
    /// The socket it was written to, null before; set under the client's lock, as the socket's closing is, so a
    /// socket that drops either fails it or was never chosen for it.
    /// </summary>
    public ClientTransport? Transport
    {
        get => Volatile.Read(ref _transport);
        set => Volatile.Write(ref _transport, value);
    }

    public Task<BrokerChatInvokeResult> Outcome => _outcome.Task;

    /// <summary>Resolves from the server's response: its data, or its error as a <see cref="BrokerChatInvocationException"/>.</summary>
    public void Complete(ServerFrame response)
    {
        if (response.Success)
        {
            _outcome.TrySetResult(new BrokerChatInvokeResult(InvocationId, response.DataType, response.Data));
        }
        else
        {
            var message = response.ErrorMessage ?? $"The server refused invocation {InvocationId}.";
            _outcome.TrySetException(new BrokerChatInvocationException(InvocationId, response.ErrorName, message));
        }
    }

    public void Fail(string message) => _outcome.TrySetException(new BrokerChatInvocationException(InvocationId, null, message));
}
