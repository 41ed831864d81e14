using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Chat;

/// <summary>The chat function as a request handler: the default one.</summary>
public sealed class ChatFunctionHandler(ChatFunction function) : IRequestHandler
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken) =>
        ValueTask.FromResult(function.Handle(frame, position));
}
