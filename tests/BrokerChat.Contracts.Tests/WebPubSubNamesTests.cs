using System.Text;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Contracts.Tests;

/// <summary>
/// The Web PubSub names against the protocol as it is spelt on the wire: each constant is compared with a literal here,
/// so a misspelt name fails this test even though every parser and writer that shares it would agree with each other.
/// </summary>
public sealed class WebPubSubNamesTests
{
    public static TheoryData<string, string, string, byte[]> NamesWithUtf8 => new()
    {
        { "WebPubSubFields.Type", "type", WebPubSubFields.Type, WebPubSubFields.TypeUtf8.ToArray() },
        { "WebPubSubFields.Group", "group", WebPubSubFields.Group, WebPubSubFields.GroupUtf8.ToArray() },
        { "WebPubSubFields.AckId", "ackId", WebPubSubFields.AckId, WebPubSubFields.AckIdUtf8.ToArray() },
        { "WebPubSubFields.DataType", "dataType", WebPubSubFields.DataType, WebPubSubFields.DataTypeUtf8.ToArray() },
        { "WebPubSubFields.Data", "data", WebPubSubFields.Data, WebPubSubFields.DataUtf8.ToArray() },
        { "WebPubSubFields.NoEcho", "noEcho", WebPubSubFields.NoEcho, WebPubSubFields.NoEchoUtf8.ToArray() },
        { "WebPubSubFields.Event", "event", WebPubSubFields.Event, WebPubSubFields.EventUtf8.ToArray() },
        { "WebPubSubFields.SequenceId", "sequenceId", WebPubSubFields.SequenceId, WebPubSubFields.SequenceIdUtf8.ToArray() },
        { "WebPubSubFields.Success", "success", WebPubSubFields.Success, WebPubSubFields.SuccessUtf8.ToArray() },
        { "WebPubSubFields.Error", "error", WebPubSubFields.Error, WebPubSubFields.ErrorUtf8.ToArray() },
        { "WebPubSubFields.Name", "name", WebPubSubFields.Name, WebPubSubFields.NameUtf8.ToArray() },
        { "WebPubSubFields.Message", "message", WebPubSubFields.Message, WebPubSubFields.MessageUtf8.ToArray() },
        { "WebPubSubFields.From", "from", WebPubSubFields.From, WebPubSubFields.FromUtf8.ToArray() },
        { "WebPubSubFields.FromUserId", "fromUserId", WebPubSubFields.FromUserId, WebPubSubFields.FromUserIdUtf8.ToArray() },
        { "WebPubSubFields.ConnectionId", "connectionId", WebPubSubFields.ConnectionId, WebPubSubFields.ConnectionIdUtf8.ToArray() },
        { "WebPubSubFields.UserId", "userId", WebPubSubFields.UserId, WebPubSubFields.UserIdUtf8.ToArray() },
        { "WebPubSubFields.ReconnectionToken", "reconnectionToken", WebPubSubFields.ReconnectionToken, WebPubSubFields.ReconnectionTokenUtf8.ToArray() },
        { "WebPubSubFields.History", "history", WebPubSubFields.History, WebPubSubFields.HistoryUtf8.ToArray() },
        { "WebPubSubFields.Presence", "presence", WebPubSubFields.Presence, WebPubSubFields.PresenceUtf8.ToArray() },
        { "WebPubSubFields.Action", "action", WebPubSubFields.Action, WebPubSubFields.ActionUtf8.ToArray() },
        { "WebPubSubFields.Complete", "complete", WebPubSubFields.Complete, WebPubSubFields.CompleteUtf8.ToArray() },
        { "WebPubSubFields.Members", "members", WebPubSubFields.Members, WebPubSubFields.MembersUtf8.ToArray() },
        { "WebPubSubFields.InvocationId", "invocationId", WebPubSubFields.InvocationId, WebPubSubFields.InvocationIdUtf8.ToArray() },
        { "WebPubSubFields.Target", "target", WebPubSubFields.Target, WebPubSubFields.TargetUtf8.ToArray() },
        { "WebPubSubMessageTypes.Invoke", "invoke", WebPubSubMessageTypes.Invoke, WebPubSubMessageTypes.InvokeUtf8.ToArray() },
        { "WebPubSubMessageTypes.CancelInvocation", "cancelInvocation", WebPubSubMessageTypes.CancelInvocation, WebPubSubMessageTypes.CancelInvocationUtf8.ToArray() },
        { "WebPubSubMessageTypes.InvokeResponse", "invokeResponse", WebPubSubMessageTypes.InvokeResponse, WebPubSubMessageTypes.InvokeResponseUtf8.ToArray() },
        { "WebPubSubMessageTypes.JoinGroup", "joinGroup", WebPubSubMessageTypes.JoinGroup, WebPubSubMessageTypes.JoinGroupUtf8.ToArray() },
        { "WebPubSubMessageTypes.LeaveGroup", "leaveGroup", WebPubSubMessageTypes.LeaveGroup, WebPubSubMessageTypes.LeaveGroupUtf8.ToArray() },
        { "WebPubSubMessageTypes.SendToGroup", "sendToGroup", WebPubSubMessageTypes.SendToGroup, WebPubSubMessageTypes.SendToGroupUtf8.ToArray() },
        { "WebPubSubMessageTypes.Event", "event", WebPubSubMessageTypes.Event, WebPubSubMessageTypes.EventUtf8.ToArray() },
        { "WebPubSubMessageTypes.Ping", "ping", WebPubSubMessageTypes.Ping, WebPubSubMessageTypes.PingUtf8.ToArray() },
        { "WebPubSubMessageTypes.SequenceAck", "sequenceAck", WebPubSubMessageTypes.SequenceAck, WebPubSubMessageTypes.SequenceAckUtf8.ToArray() },
        { "WebPubSubMessageTypes.ListMembers", "listMembers", WebPubSubMessageTypes.ListMembers, WebPubSubMessageTypes.ListMembersUtf8.ToArray() },
        { "WebPubSubMessageTypes.Ack", "ack", WebPubSubMessageTypes.Ack, WebPubSubMessageTypes.AckUtf8.ToArray() },
        { "WebPubSubMessageTypes.Message", "message", WebPubSubMessageTypes.Message, WebPubSubMessageTypes.MessageUtf8.ToArray() },
        { "WebPubSubMessageTypes.System", "system", WebPubSubMessageTypes.System, WebPubSubMessageTypes.SystemUtf8.ToArray() },
        { "WebPubSubMessageTypes.Pong", "pong", WebPubSubMessageTypes.Pong, WebPubSubMessageTypes.PongUtf8.ToArray() },
        { "WebPubSubSystemEvents.Connected", "connected", WebPubSubSystemEvents.Connected, WebPubSubSystemEvents.ConnectedUtf8.ToArray() },
        { "WebPubSubSystemEvents.Disconnected", "disconnected", WebPubSubSystemEvents.Disconnected, WebPubSubSystemEvents.DisconnectedUtf8.ToArray() },
        { "WebPubSubSystemEvents.Presence", "presence", WebPubSubSystemEvents.Presence, WebPubSubSystemEvents.PresenceUtf8.ToArray() },
        { "WebPubSubSystemEvents.Members", "members", WebPubSubSystemEvents.Members, WebPubSubSystemEvents.MembersUtf8.ToArray() },
        { "WebPubSubDataTypes.Json", "json", WebPubSubDataTypes.Json, WebPubSubDataTypes.JsonUtf8.ToArray() },
        { "WebPubSubDataTypes.Text", "text", WebPubSubDataTypes.Text, WebPubSubDataTypes.TextUtf8.ToArray() },
        { "WebPubSubDataTypes.Binary", "binary", WebPubSubDataTypes.Binary, WebPubSubDataTypes.BinaryUtf8.ToArray() },
        { "WebPubSubDataTypes.Protobuf", "protobuf", WebPubSubDataTypes.Protobuf, WebPubSubDataTypes.ProtobufUtf8.ToArray() },
        { "WebPubSubMessageSources.Group", "group", WebPubSubMessageSources.Group, WebPubSubMessageSources.GroupUtf8.ToArray() },
        { "WebPubSubMessageSources.Server", "server", WebPubSubMessageSources.Server, WebPubSubMessageSources.ServerUtf8.ToArray() },
        { "WebPubSubPresenceActions.Join", "join", WebPubSubPresenceActions.Join, WebPubSubPresenceActions.JoinUtf8.ToArray() },
        { "WebPubSubPresenceActions.Leave", "leave", WebPubSubPresenceActions.Leave, WebPubSubPresenceActions.LeaveUtf8.ToArray() },
    };

    public static TheoryData<string, string, string> Names => new()
    {
        { "WebPubSubSubprotocols.Json", "json.webpubsub.azure.v1", WebPubSubSubprotocols.Json },
        { "WebPubSubSubprotocols.JsonReliable", "json.reliable.webpubsub.azure.v1", WebPubSubSubprotocols.JsonReliable },
        { "WebPubSubSubprotocols.MessagePack", "msgpack.webpubsub.brokerchat.v1", WebPubSubSubprotocols.MessagePack },
        { "WebPubSubSubprotocols.MessagePackReliable", "msgpack.reliable.webpubsub.brokerchat.v1", WebPubSubSubprotocols.MessagePackReliable },
        { "WebPubSubSubprotocols.AzureSuffix", ".webpubsub.azure.v1", WebPubSubSubprotocols.AzureSuffix },
        { "WebPubSubSubprotocols.BrokerChatSuffix", ".webpubsub.brokerchat.v1", WebPubSubSubprotocols.BrokerChatSuffix },
        { "WebPubSubQueryParameters.AccessToken", "access_token", WebPubSubQueryParameters.AccessToken },
        { "WebPubSubQueryParameters.Hub", "hub", WebPubSubQueryParameters.Hub },
        { "WebPubSubQueryParameters.ConnectionId", "awps_connection_id", WebPubSubQueryParameters.ConnectionId },
        { "WebPubSubQueryParameters.ReconnectionToken", "awps_reconnection_token", WebPubSubQueryParameters.ReconnectionToken },
        { "WebPubSubClientPaths.Client", "/client", WebPubSubClientPaths.Client },
        { "WebPubSubClientPaths.HubsPrefix", "/client/hubs/", WebPubSubClientPaths.HubsPrefix },
        { "WebPubSubUserEvents.Message", "message", WebPubSubUserEvents.Message },
    };

    [Theory]
    [MemberData(nameof(NamesWithUtf8))]
    public void NameAndItsUtf8FormAreSpeltAsOnTheWire(string constant, string wire, string name, byte[] utf8)
    {
        Assert.True(wire == name, $"{constant} is \"{name}\", not \"{wire}\".");
        Assert.Equal(Encoding.UTF8.GetBytes(wire), utf8);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void NameIsSpeltAsOnTheWire(string constant, string wire, string name) =>
        Assert.True(wire == name, $"{constant} is \"{name}\", not \"{wire}\".");
}
