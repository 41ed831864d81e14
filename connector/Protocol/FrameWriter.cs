using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Protocol;

/// <summary>
/// Writes the server → client frames of one encoding of the PubSub protocol. Message frames are written once per
/// delivery and shared by every recipient; on reliable connections each recipient's own <c>sequenceId</c> is put in
/// front of the shared bytes as they are written (<see cref="WriteSequencePrefix"/>), so nothing is encoded per
/// recipient.
/// </summary>
internal abstract class FrameWriter
{
    /// <summary>Longest prefix <see cref="WriteSequencePrefix"/> writes.</summary>
    public const int MaxSequencePrefixLength = 32;

    /// <summary>The pong frame, encoded once.</summary>
    public abstract ReadOnlyMemory<byte> Pong { get; }

    /// <summary>
    /// The <c>connected</c> system message; <paramref name="reconnectionToken"/> is set on reliable connections, and
    /// a later <c>connected</c> with the same connection id refreshes the client's token.
    /// </summary>
    public abstract byte[] Connected(string connectionId, string? userId, string? reconnectionToken);

    /// <summary>The <c>disconnected</c> system message sent before the server closes a connection.</summary>
    public abstract byte[] Disconnected(string message);

    public abstract byte[] AckSuccess(ulong ackId);

    public abstract byte[] AckError(ulong ackId, string name, string message);

    public byte[] Ack(AckOutcome outcome) => outcome.Success
        ? AckSuccess(outcome.AckId)
        : AckError(outcome.AckId, outcome.ErrorName ?? AckErrorNames.InternalServerError, outcome.ErrorMessage ?? "");

    /// <summary>
    /// The <c>message</c> frame of a delivery, without a sequence id: <c>from</c> = group for group deliveries (with
    /// <c>fromUserId</c> and <c>group</c>), server otherwise. Throws when the delivery's payload does not fit its
    /// data type (a corrupt record), so no client is ever sent a frame it cannot parse.
    /// </summary>
    public abstract byte[] Message(Delivery delivery);

    /// <summary>
    /// Writes what replaces the first byte of a shared <see cref="Message"/> frame to make it carry
    /// <paramref name="sequenceId"/>: the frame on the wire is this prefix followed by the shared bytes after their
    /// first. Returns the prefix length (at most <see cref="MaxSequencePrefixLength"/>).
    /// </summary>
    public abstract int WriteSequencePrefix(Span<byte> destination, ulong sequenceId, byte firstByte);
}
