using BrokerChat.Connector.Inbound;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Requests;

/// <summary>The kinds of request a PubSub client sends.</summary>
internal enum ClientRequestType
{
    /// <summary>A <c>type</c> this connector does not know; ignored (acked with an error when it has an ackId).</summary>
    Unknown,
    JoinGroup,
    LeaveGroup,
    SendToGroup,
    Event,
    Ping,
    SequenceAck,

    /// <summary><c>listMembers</c>: who is in a group, across every connector.</summary>
    ListMembers,

    /// <summary><c>invoke</c>: a request with a response, answered with <c>invokeResponse</c>.</summary>
    Invoke,

    /// <summary><c>cancelInvocation</c>: the caller gave up on an invocation.</summary>
    CancelInvocation,

    /// <summary><c>listMessages</c>: a page of a group's stored history.</summary>
    ListMessages,

    /// <summary><c>editMessage</c>: the sender replaces one of its stored messages.</summary>
    EditMessage,

    /// <summary><c>deleteMessage</c>: the sender deletes one of its stored messages.</summary>
    DeleteMessage,
}

/// <summary>One parsed client request.</summary>
internal sealed class ClientRequest
{
    public ClientRequestType Type { get; set; }
    public string? TypeName { get; set; }
    public string? Group { get; set; }
    public ulong? AckId { get; set; }
    public DataType DataType { get; set; } = DataType.Json;
    public byte[]? Data { get; set; }
    public bool NoEcho { get; set; }
    public string? Event { get; set; }
    public ulong? SequenceId { get; set; }

    /// <summary><c>joinGroup</c>'s <c>history</c>: how many of the room's latest messages to send before the ack.</summary>
    public int? History { get; set; }

    /// <summary><c>joinGroup</c>'s <c>presence</c>: whether to be told when members join or leave the group.</summary>
    public bool Presence { get; set; }

    /// <summary><c>invoke</c>'s and <c>cancelInvocation</c>'s <c>invocationId</c>.</summary>
    public string? InvocationId { get; set; }

    /// <summary><c>listMessages</c>'s <c>before</c> cursor.</summary>
    public string? Before { get; set; }

    /// <summary><c>listMessages</c>'s <c>after</c> cursor.</summary>
    public string? After { get; set; }

    /// <summary><c>listMessages</c>'s <c>limit</c>.</summary>
    public int? Limit { get; set; }

    /// <summary><c>editMessage</c>'s and <c>deleteMessage</c>'s <c>messageId</c>: the message changed.</summary>
    public string? MessageId { get; set; }

    /// <summary>Clears every field, so the object can hold the connection's next request.</summary>
    public void Reset()
    {
        Type = ClientRequestType.Unknown;
        TypeName = null;
        Group = null;
        AckId = null;
        DataType = DataType.Json;
        Data = null;
        NoEcho = false;
        Event = null;
        SequenceId = null;
        History = null;
        Presence = false;
        InvocationId = null;
        Before = null;
        After = null;
        Limit = null;
        MessageId = null;
    }

    /// <summary>What the inbound topic gets of a <c>sendToGroup</c>, an <c>event</c>, an <c>invoke</c>, a <c>cancelInvocation</c>, an <c>editMessage</c> or a <c>deleteMessage</c>.</summary>
    public InboundRequest ToInbound(InboundKind kind) => new(kind, Group, Event, DataType, Data ?? [], NoEcho, AckId, InvocationId, MessageId);
}
