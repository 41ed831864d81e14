using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>A request handler that runs a test's delegate for each request and uses the interface's batch default.</summary>
internal sealed class DelegateHandler(Func<InboundFrame, InboundPosition, CancellationToken, ValueTask<IReadOnlyList<Delivery>>> handle) : IRequestHandler
{
    public ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken) =>
        handle(frame, position, cancellationToken);
}

/// <summary>A request handler with a batch call of its own: a test's delegates for a request alone and for a batch.</summary>
internal sealed class BatchHandler(
    Func<InboundFrame, InboundPosition, CancellationToken, ValueTask<IReadOnlyList<Delivery>>> handle,
    Func<IReadOnlyList<InboundFrame>, IReadOnlyList<InboundPosition>, CancellationToken, ValueTask<IReadOnlyList<IReadOnlyList<Delivery>>>> handleBatch) : IRequestHandler
{
    public ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken) =>
        handle(frame, position, cancellationToken);

    public ValueTask<IReadOnlyList<IReadOnlyList<Delivery>>> HandleBatchAsync(
        IReadOnlyList<InboundFrame> frames, IReadOnlyList<InboundPosition> positions, CancellationToken cancellationToken) =>
        handleBatch(frames, positions, cancellationToken);
}
