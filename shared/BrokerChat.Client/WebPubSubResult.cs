namespace BrokerChat.Client;

/// <summary>The outcome of a request that the server acknowledged (or that was sent fire-and-forget).</summary>
/// <param name="AckId">The request's ackId, or null for a fire-and-forget send.</param>
/// <param name="IsDuplicated">
/// The server had already carried out a request with this ackId (ack error <c>Duplicate</c>), typically because the
/// client resent it after a drop; the request took effect exactly once.
/// </param>
public sealed record WebPubSubResult(ulong? AckId, bool IsDuplicated);
