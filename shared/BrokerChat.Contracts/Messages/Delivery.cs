using MessagePack;

namespace BrokerChat.Contracts.Messages;

/// <summary>
/// What the functions publish to the outbound topic for connectors to write to client sockets: a message for a
/// target (a group, a user, a connection or the whole hub), an ack outcome for one connection, or both (a group
/// message that also acknowledges its sender's request once the connector holding the sender sees it).
/// </summary>
/// <remarks>
/// Wire format: a MessagePack array whose item <c>n</c> is the member with <c>[Key(n)]</c>; append-only, readers
/// ignore trailing items they do not know.
/// <list type="table">
/// <item><term>0</term><description>target (<see cref="DeliveryTarget"/> as int)</description></item>
/// <item><term>1</term><description>hub, lower-cased</description></item>
/// <item><term>2</term><description>group, for <see cref="DeliveryTarget.Group"/></description></item>
/// <item><term>3</term><description>user id, for <see cref="DeliveryTarget.User"/></description></item>
/// <item><term>4</term><description>connection id, for <see cref="DeliveryTarget.Connection"/></description></item>
/// <item><term>5</term><description>excluded connection id (the sender when it asked for noEcho), or nil</description></item>
/// <item><term>6</term><description>message id: deterministic, derived from the inbound record, so redelivery can be detected</description></item>
/// <item><term>7</term><description>data type (<see cref="DataType"/> as int)</description></item>
/// <item><term>8</term><description>payload bytes, or nil for an ack-only delivery</description></item>
/// <item><term>9</term><description>produced-at, Unix time in milliseconds</description></item>
/// <item><term>10</term><description>user id of the sender (<c>fromUserId</c>), or nil for server-originated messages</description></item>
/// <item><term>11</term><description>ack outcome for the sender's request (<see cref="AckOutcome"/>), or nil</description></item>
/// <item><term>12</term><description>id of the connector that holds the acknowledged connection, or nil</description></item>
/// <item><term>13</term><description>received-at of the originating request, Unix ms, for end-to-end latency</description></item>
/// <item><term>14</term><description>W3C <c>traceparent</c>, or nil</description></item>
/// <item><term>15</term><description>has-message: false for a delivery that only carries an ack outcome (or a presence record)</description></item>
/// <item><term>16</term><description>the presence record for <see cref="DeliveryTarget.Presence"/> (<see cref="PresenceChange"/>), or nil</description></item>
/// <item><term>17</term><description>command for the connectors (<see cref="DeliveryCommand"/> as int); 0 = none</description></item>
/// <item><term>18</term><description>further connection ids excluded from the target, or nil</description></item>
/// <item><term>19</term><description>an OData filter every recipient must pass (over <c>connectionId</c>, <c>userId</c>, <c>groups</c>), or nil</description></item>
/// <item><term>20</term><description>the reason for <see cref="DeliveryCommand.Close"/>, or nil</description></item>
/// <item><term>21</term><description>for <see cref="DeliveryCommand.ExistsReply"/>: whether the connector answering holds the target</description></item>
/// <item><term>22</term><description>for <see cref="DeliveryCommand.ExistsReply"/>: the id of the connector answering</description></item>
/// <item><term>23</term><description>for <see cref="DeliveryCommand.InvokeResponse"/>: the invocation answered</description></item>
/// <item><term>24</term><description>for <see cref="DeliveryCommand.InvokeResponse"/>: the error's name (an <see cref="AckErrorNames"/> value), or nil on success</description></item>
/// <item><term>25</term><description>for <see cref="DeliveryCommand.InvokeResponse"/>: the error's message, or nil on success; for <see cref="DeliveryCommand.ExistsReply"/> to a permission change: why it was refused</description></item>
/// <item><term>26</term><description>for <see cref="DeliveryCommand.SetConnectionState"/>: the connection's new state, or nil to clear it</description></item>
/// <item><term>27</term><description>for the permission queries (<see cref="DeliveryCommand.GrantPermission"/> and after): the permission (<see cref="GroupPermission"/> as int)</description></item>
/// <item><term>28</term><description>for <see cref="DeliveryCommand.ExistsReply"/> to a permission query: whether the connection has the permission afterwards</description></item>
/// <item><term>29</term><description>expires-at, Unix time in milliseconds, after which the message is no longer delivered (a REST send's <c>messageTtlSeconds</c>); 0 = never</description></item>
/// <item><term>30</term><description>for <see cref="DeliveryCommand.MessageChanged"/>: the id of the group message changed</description></item>
/// <item><term>31</term><description>for <see cref="DeliveryCommand.MessageChanged"/>: what became of it (<see cref="MessageChange"/> as int)</description></item>
/// <item><term>32</term><description>the inbound record it was made from (<see cref="DeliverySource"/>), or nil (made by an older worker or by another producer): a connector drops a message at or below the newest one of the same source it fanned out to the same target</description></item>
/// </list>
/// A command has <see cref="HasMessage"/> false, so connectors that predate it skip it. For
/// <see cref="DeliveryCommand.AddToGroup"/> and <see cref="DeliveryCommand.RemoveFromGroup"/> item 2 is the group joined
/// or left (nil: every group) and the target is a connection, a user or all (with the filter).
/// </remarks>
[MessagePackObject]
public sealed class Delivery
{
    [Key(0)] public DeliveryTarget Target { get; set; }
    [Key(1)] public string Hub { get; set; } = "";
    [Key(2)] public string? Group { get; set; }
    [Key(3)] public string? UserId { get; set; }
    [Key(4)] public string? ConnectionId { get; set; }
    [Key(5)] public string? ExcludedConnectionId { get; set; }
    [Key(6)] public string MessageId { get; set; } = "";
    [Key(7)] public DataType DataType { get; set; }
    [Key(8)] public byte[]? Payload { get; set; }
    [Key(9)] public long ProducedAt { get; set; }
    [Key(10)] public string? FromUserId { get; set; }
    [Key(11)] public AckOutcome? Ack { get; set; }
    [Key(12)] public string? AckConnectorId { get; set; }
    [Key(13)] public long ReceivedAt { get; set; }
    [Key(14)] public string? TraceParent { get; set; }
    [Key(15)] public bool HasMessage { get; set; } = true;
    [Key(16)] public PresenceChange? Presence { get; set; }
    [Key(17)] public DeliveryCommand Command { get; set; }
    [Key(18)] public string[]? ExcludedConnectionIds { get; set; }
    [Key(19)] public string? Filter { get; set; }
    [Key(20)] public string? Reason { get; set; }
    [Key(21)] public bool Found { get; set; }
    [Key(22)] public string? ReplyingConnectorId { get; set; }
    [Key(23)] public string? InvocationId { get; set; }
    [Key(24)] public string? ErrorName { get; set; }
    [Key(25)] public string? ErrorMessage { get; set; }
    [Key(26)] public string? ConnectionState { get; set; }
    [Key(27)] public GroupPermission Permission { get; set; }
    [Key(28)] public bool Permitted { get; set; }
    [Key(29)] public long ExpiresAt { get; set; }
    [Key(30)] public string? ChangedMessageId { get; set; }
    [Key(31)] public MessageChange Change { get; set; }
    [Key(32)] public DeliverySource? Source { get; set; }
}
