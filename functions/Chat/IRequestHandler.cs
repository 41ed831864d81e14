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
    /// Handles requests read one after another from one partition (each with the same position in
    /// <paramref name="positions"/>), returning the deliveries of each, in order. A host calls it with the records it
    /// has queued for one key slot, so a handler that stores events can do so in one round trip; a host that retries a
    /// batch that threw retries it whole, then falls back to <see cref="HandleAsync"/> per request. The default handles
    /// them one by one.
    /// </summary>
    async ValueTask<IReadOnlyList<IReadOnlyList<Delivery>>> HandleBatchAsync(
        IReadOnlyList<InboundFrame> frames, IReadOnlyList<InboundPosition> positions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(positions);
        var results = new IReadOnlyList<Delivery>[frames.Count];
        for (var i = 0; i < frames.Count; i++)
        {
            results[i] = await HandleAsync(frames[i], positions[i], cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

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
