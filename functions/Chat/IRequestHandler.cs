using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Chat;

/// <summary>
/// What a host runs for each inbound request: the deliveries to publish for it. The Kafka worker retries a handler
/// that throws (with backoff, without holding up other partitions) and sets the request aside on the dead-letter
/// topic when it keeps failing; a handler rejects bad input by returning an ack error, not by throwing.
/// </summary>
/// <remarks>
/// A host uses nothing but this interface: <see cref="HandleAsync"/> for each request, and <see cref="Reject"/> for
/// the answer to a request it gave up on itself, so an application's handler decides both. The default handler is
/// <see cref="ChatFunctionHandler"/>.
/// </remarks>
public interface IRequestHandler
{
    /// <summary>Handles one request read from <paramref name="position"/>.</summary>
    ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken);

    /// <summary>
    /// The delivery that tells the sender of <paramref name="frame"/> its request was refused for
    /// <paramref name="rejection"/> and nothing else was done with it, or null when the sender asked for no ack. A host
    /// calls it instead of <see cref="HandleAsync"/> when it gives up on a request: the Kafka worker, for a request it
    /// set aside on the dead-letter topic after its tries ran out (an <c>InternalServerError</c> saying so). It is
    /// called where <see cref="HandleAsync"/> kept failing, so it must not throw nor depend on what failed there.
    /// </summary>
    /// <param name="frame">The request.</param>
    /// <param name="position">Where the request was read; the delivery's message id comes from it.</param>
    /// <param name="now">The delivery's <see cref="Delivery.ProducedAt"/>, in Unix milliseconds.</param>
    /// <param name="rejection">The ack error's name and message.</param>
    /// <returns>By default the ack-only delivery of <see cref="AckDeliveries.Rejected"/>.</returns>
    Delivery? Reject(InboundFrame frame, InboundPosition position, long now, Rejection rejection) =>
        AckDeliveries.Rejected(frame, position, now, rejection);
}
