using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Chat;

/// <summary>
/// What a host runs for each inbound request: the deliveries to publish for it. The Kafka worker retries a handler
/// that throws (with backoff, without holding up other partitions) and sets the request aside on the dead-letter
/// topic when it keeps failing; a handler rejects bad input by returning an ack error, not by throwing.
/// </summary>
public interface IRequestHandler
{
    /// <summary>Handles one request read from <paramref name="position"/>.</summary>
    ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken);
}

/// <summary>The chat function as a request handler: the default one.</summary>
public sealed class ChatFunctionHandler(ChatFunction function) : IRequestHandler
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken) =>
        ValueTask.FromResult(function.Handle(frame, position));
}
