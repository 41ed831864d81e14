using BrokerChat.History;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Frames;

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

    /// <summary>The <c>invokeResponse</c> that fails the invocation <paramref name="invocationId"/> with an error.</summary>
    public abstract byte[] InvokeError(string invocationId, string name, string message);

    /// <summary>
    /// The <c>invokeResponse</c> that completes the invocation <paramref name="invocationId"/>: with <c>dataType</c>
    /// and <c>data</c> encoded as in a message frame, or without both when <paramref name="payload"/> is null. Throws
    /// when the payload does not fit its data type, as <see cref="Message"/> does.
    /// </summary>
    public abstract byte[] InvokeSuccess(string invocationId, DataType dataType, byte[]? payload);

    /// <summary>The <c>invokeResponse</c> a <see cref="DeliveryCommand.InvokeResponse"/> delivery carries: a success when it names no error.</summary>
    public byte[] InvokeResponse(Delivery delivery) => delivery.ErrorName is null
        ? InvokeSuccess(delivery.InvocationId!, delivery.DataType, delivery.Payload)
        : InvokeError(delivery.InvocationId!, delivery.ErrorName, delivery.ErrorMessage ?? "");

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
    /// A message from the room's history sent to a client that joined with <c>history</c>: the <see cref="Message"/>
    /// frame with <c>"history": true</c>. It never carries a sequence id (another connector could not reproduce it
    /// from a reconnection token's position), and clients accept messages without one.
    /// </summary>
    public abstract byte[] HistoryMessage(Delivery delivery);

    /// <summary>
    /// The <c>presence</c> system message for subscribers of a group: <paramref name="connectionId"/> (of
    /// <paramref name="userId"/>) joined or left it.
    /// </summary>
    public abstract byte[] Presence(string group, bool joined, string? userId, string connectionId);

    /// <summary>
    /// The <c>messages</c> system message that answers <c>listMessages</c>: the group's stored messages of
    /// <paramref name="page"/>, oldest first, and the cursor of the next page (or null).
    /// </summary>
    public abstract byte[] Messages(string group, ulong? ackId, HistoryPage page);

    /// <summary>
    /// The <c>messageChanged</c> system message of a <see cref="DeliveryCommand.MessageChanged"/> delivery: the
    /// <c>group</c>, the <c>messageId</c> changed, the <c>change</c> (<c>edited</c> or <c>deleted</c>), <c>fromUserId</c>
    /// (null for the application's backend) and, for an edit, the new <c>dataType</c> and <c>data</c> as a message frame
    /// has them. Written once per delivery and shared by every recipient; throws as <see cref="Message"/> does.
    /// </summary>
    public abstract byte[] MessageChanged(Delivery delivery);

    /// <summary>A stored message's time as the protocol writes it: ISO 8601 in UTC.</summary>
    public static string Timestamp(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The <c>members</c> system message that answers <c>listMembers</c>.</summary>
    public abstract byte[] Members(string group, ulong? ackId, IReadOnlyList<GroupMember> members, bool complete);

    /// <summary>
    /// Writes what replaces the first byte of a shared <see cref="Message"/> frame to make it carry
    /// <paramref name="sequenceId"/>: the frame on the wire is this prefix followed by the shared bytes after their
    /// first. Returns the prefix length (at most <see cref="MaxSequencePrefixLength"/>).
    /// </summary>
    public abstract int WriteSequencePrefix(Span<byte> destination, ulong sequenceId, byte firstByte);
}
