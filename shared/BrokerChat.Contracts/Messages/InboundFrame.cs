using MessagePack;

namespace BrokerChat.Contracts.Messages;

/// <summary>
/// A client request the connector accepted from a socket and handed to the functions through the inbound topic.
/// </summary>
/// <remarks>
/// Wire format: a MessagePack array whose item <c>n</c> is the member with <c>[Key(n)]</c>. The contract is
/// append-only: new members take the next free key, existing keys never change meaning, and readers ignore
/// items past the ones they know (and use the default for items a shorter, older array lacks).
/// <list type="table">
/// <item><term>0</term><description>kind (<see cref="InboundKind"/> as int)</description></item>
/// <item><term>1</term><description>hub, lower-cased</description></item>
/// <item><term>2</term><description>group (the room), or nil for events</description></item>
/// <item><term>3</term><description>connection id of the sender</description></item>
/// <item><term>4</term><description>id of the connector that holds the sender's socket</description></item>
/// <item><term>5</term><description>user id of the sender, or nil when anonymous</description></item>
/// <item><term>6</term><description>the sender's roles, as granted by its access token</description></item>
/// <item><term>7</term><description>the client's ackId, or nil for fire-and-forget</description></item>
/// <item><term>8</term><description>data type (<see cref="DataType"/> as int)</description></item>
/// <item><term>9</term><description>payload bytes: JSON text, UTF-8 text or raw bytes</description></item>
/// <item><term>10</term><description>received-at, Unix time in milliseconds, set by the connector</description></item>
/// <item><term>11</term><description>W3C <c>traceparent</c> of the request, or nil</description></item>
/// <item><term>12</term><description>noEcho: exclude the sender from the delivery</description></item>
/// <item><term>13</term><description>event name for <see cref="InboundKind.Event"/>, or nil</description></item>
/// <item><term>14</term><description>the presence record for <see cref="InboundKind.Presence"/> (<see cref="PresenceChange"/>), or nil</description></item>
/// <item><term>15</term><description>for REST requests: which connections a command applies to (<see cref="DeliveryTarget"/> as int)</description></item>
/// <item><term>16</term><description>for REST requests: connection ids excluded, or nil</description></item>
/// <item><term>17</term><description>for REST requests: an OData filter over <c>connectionId</c>, <c>userId</c> and <c>groups</c>, or nil</description></item>
/// <item><term>18</term><description>for REST close requests: the reason given to the clients, or nil; for <see cref="InboundKind.Disconnected"/>: why the connection ended</description></item>
/// <item><term>19</term><description>for <see cref="InboundKind.Invoke"/> and <see cref="InboundKind.CancelInvocation"/>: the client's invocation id</description></item>
/// <item><term>20</term><description>for <see cref="InboundKind.Connected"/>: the groups the connection joined at connect, or nil</description></item>
/// <item><term>21</term><description>for <see cref="InboundKind.Connected"/>: the subprotocol the connection speaks, or nil for a simple WebSocket client</description></item>
/// <item><term>22</term><description>for a client's records: the connection's state as its hub's event handler last set it (<c>ce-connectionState</c>, opaque), or nil</description></item>
/// <item><term>23</term><description>for the REST sends: <c>messageTtlSeconds</c>, how long after item 10 the message may still be delivered (1 to 300); 0 = no limit</description></item>
/// <item><term>24</term><description>for the message changes (<see cref="InboundKind.EditMessage"/> and after): the id of the group message changed</description></item>
/// <item><term>25</term><description>answer-by, Unix time in milliseconds: for a client's request whose sender awaits its outcome (an ack or an invocation's response), when the connector stops waiting and answers <c>Timeout</c> itself; a function reading the request later skips it (nothing is delivered, nothing answered). 0 = no deadline (a fire-and-forget request, a connection record, a REST request, or a record from an older connector)</description></item>
/// </list>
/// For the REST kinds (<see cref="InboundKind.SendToAll"/> and after) items 3 and 5 name the target connection and
/// user rather than a sender, and item 4 is the connector that accepted the request.
/// </remarks>
[MessagePackObject]
public sealed class InboundFrame
{
    [Key(0)] public InboundKind Kind { get; set; }
    [Key(1)] public string Hub { get; set; } = "";
    [Key(2)] public string? Group { get; set; }
    [Key(3)] public string ConnectionId { get; set; } = "";
    [Key(4)] public string ConnectorId { get; set; } = "";
    [Key(5)] public string? UserId { get; set; }
    [Key(6)] public string[] Roles { get; set; } = [];
    [Key(7)] public ulong? AckId { get; set; }
    [Key(8)] public DataType DataType { get; set; }
    [Key(9)] public byte[] Payload { get; set; } = [];
    [Key(10)] public long ReceivedAt { get; set; }
    [Key(11)] public string? TraceParent { get; set; }
    [Key(12)] public bool NoEcho { get; set; }
    [Key(13)] public string? EventName { get; set; }
    [Key(14)] public PresenceChange? Presence { get; set; }
    [Key(15)] public DeliveryTarget Target { get; set; }
    [Key(16)] public string[]? ExcludedConnectionIds { get; set; }
    [Key(17)] public string? Filter { get; set; }
    [Key(18)] public string? Reason { get; set; }
    [Key(19)] public string? InvocationId { get; set; }
    [Key(20)] public string[]? Groups { get; set; }
    [Key(21)] public string? Subprotocol { get; set; }
    [Key(22)] public string? ConnectionState { get; set; }
    [Key(23)] public int MessageTtlSeconds { get; set; }
    [Key(24)] public string? ChangedMessageId { get; set; }
    [Key(25)] public long AnswerBy { get; set; }
}
