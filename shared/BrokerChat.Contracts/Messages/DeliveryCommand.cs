namespace BrokerChat.Contracts.Messages;

/// <summary>What a connector does with a <see cref="Delivery"/> besides (or instead of) writing a message. Values are only ever appended.</summary>
public enum DeliveryCommand
{
    /// <summary>Nothing: a message, an ack or a presence record.</summary>
    None = 0,

    /// <summary>The target's connections held here join <see cref="Delivery.Group"/>.</summary>
    AddToGroup = 1,

    /// <summary>The target's connections held here leave <see cref="Delivery.Group"/>, or every group when it is nil.</summary>
    RemoveFromGroup = 2,

    /// <summary>The target's connections held here are closed with <see cref="Delivery.Reason"/>.</summary>
    Close = 3,

    /// <summary>
    /// A connector asks whether the target connection or user is connected anywhere; every connector answers with
    /// <see cref="ExistsReply"/> addressed to <see cref="Delivery.AckConnectorId"/> under the same
    /// <see cref="Delivery.MessageId"/>. Connectors produce these straight to the outbound topic.
    /// </summary>
    ExistsQuery = 4,

    /// <summary>
    /// A connector's answer to <see cref="ExistsQuery"/> or to a permission query (<see cref="GrantPermission"/>,
    /// <see cref="RevokePermission"/>, <see cref="CheckPermission"/>): <see cref="Delivery.Found"/> (it holds the
    /// target), from <see cref="Delivery.ReplyingConnectorId"/>; for a permission query also
    /// <see cref="Delivery.Permitted"/>, and <see cref="Delivery.ErrorMessage"/> when the change was refused.
    /// </summary>
    ExistsReply = 5,

    /// <summary>
    /// The answer to a client's <c>invoke</c>: an <c>invokeResponse</c> for <see cref="Delivery.InvocationId"/> to the
    /// connection <see cref="Delivery.ConnectionId"/>, with <see cref="Delivery.Payload"/> (may be nil) of
    /// <see cref="Delivery.DataType"/> on success, or <see cref="Delivery.ErrorName"/> and <see cref="Delivery.ErrorMessage"/>.
    /// </summary>
    InvokeResponse = 6,

    /// <summary>
    /// An event handler set the state of the connection <see cref="Delivery.ConnectionId"/> (its
    /// <c>ce-connectionState</c> answer): the connector holding it keeps <see cref="Delivery.ConnectionState"/> and
    /// puts it on the connection's later records (<see cref="InboundFrame.ConnectionState"/>).
    /// </summary>
    SetConnectionState = 7,

    /// <summary>
    /// A connector asks the connector holding the connection <see cref="Delivery.ConnectionId"/> to grant it
    /// <see cref="Delivery.Permission"/> for <see cref="Delivery.Group"/> (nil: every group). Produced straight to the
    /// outbound topic and answered with <see cref="ExistsReply"/> addressed to <see cref="Delivery.AckConnectorId"/>
    /// under the same <see cref="Delivery.MessageId"/>, as <see cref="ExistsQuery"/> is.
    /// </summary>
    GrantPermission = 8,

    /// <summary>As <see cref="GrantPermission"/>, but the permission is taken away (a role of the token included).</summary>
    RevokePermission = 9,

    /// <summary>As <see cref="GrantPermission"/>, but only asks whether the connection has the permission (<see cref="Delivery.Permitted"/>).</summary>
    CheckPermission = 10,

    /// <summary>
    /// The reliable session <see cref="Delivery.ConnectionId"/> of <see cref="Delivery.Hub"/> was ended for good by the
    /// server (a REST close): every connector refuses to resume it from its reconnection token. The connector that held
    /// it produces this straight to the outbound topic, keyed by the connection, before it closes the socket.
    /// </summary>
    SessionEnded = 11,

    /// <summary>
    /// The group message <see cref="Delivery.ChangedMessageId"/> of <see cref="Delivery.Group"/> was changed as
    /// <see cref="Delivery.Change"/> says, by <see cref="Delivery.FromUserId"/> (nil: the application's backend); an
    /// edit carries the new <see cref="Delivery.Payload"/> of <see cref="Delivery.DataType"/>. Every connector tells
    /// the group's members held there; the history function applies it to the store. It may carry the sender's ack.
    /// </summary>
    MessageChanged = 12,
}
