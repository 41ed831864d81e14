using BrokerChat.Contracts.Names;

namespace BrokerChat.Functions.Hubs;

/// <summary>
/// What a handler does besides answering: send to all, a group, a user or a connection; add or remove connections and
/// users to or from groups; close connections. Each call is recorded and, once the handler returns, published as one
/// delivery with a message id derived from the request (so a request handled twice publishes the same ids, which the
/// connectors drop) and the partition key of its target (so a group send keeps its place in the room's order).
/// Nothing is published when the handler throws.
/// </summary>
public sealed class HubActions
{
    private const int MaxIdLength = 256;
    private const int MaxReasonLength = 512;
    private readonly List<HubAction> _actions = [];
    private readonly string? _sender;
    private readonly int _maxActions;
    private readonly int _maxMessageBytes;

    internal HubActions(string? sender, int maxActions, int maxMessageBytes)
    {
        _sender = sender;
        _maxActions = maxActions;
        _maxMessageBytes = maxMessageBytes;
    }

    /// <summary>The actions taken so far, in order.</summary>
    public IReadOnlyList<HubAction> Taken => _actions;

    /// <summary>Sends <paramref name="data"/> to every connection of the hub but <paramref name="excluded"/>.</summary>
    public void SendToAll(MessageData data, IEnumerable<string>? excluded = null) =>
        Add(new HubAction(HubActionKind.SendToAll) { Data = Checked(data), Excluded = Ids(excluded) });

    /// <summary>Sends <paramref name="data"/> to every member of <paramref name="group"/> but <paramref name="excluded"/>.</summary>
    public void SendToGroup(string group, MessageData data, IEnumerable<string>? excluded = null) =>
        Add(new HubAction(HubActionKind.SendToGroup) { Group = Group(group), Data = Checked(data), Excluded = Ids(excluded) });

    /// <summary>Sends <paramref name="data"/> to every connection of <paramref name="userId"/>.</summary>
    public void SendToUser(string userId, MessageData data) =>
        Add(new HubAction(HubActionKind.SendToUser) { UserId = Id(userId, nameof(userId)), Data = Checked(data) });

    /// <summary>Sends <paramref name="data"/> to the connection <paramref name="connectionId"/>.</summary>
    public void SendToConnection(string connectionId, MessageData data) =>
        Add(new HubAction(HubActionKind.SendToConnection) { ConnectionId = Id(connectionId, nameof(connectionId)), Data = Checked(data) });

    /// <summary>Sends <paramref name="data"/> back to the connection whose request is being handled.</summary>
    public void Reply(MessageData data) =>
        SendToConnection(_sender ?? throw new InvalidOperationException("This handler has no sender to reply to."), data);

    /// <summary>Adds the connection <paramref name="connectionId"/> to <paramref name="group"/>.</summary>
    public void AddConnectionToGroup(string connectionId, string group) =>
        Add(new HubAction(HubActionKind.AddConnectionToGroup) { ConnectionId = Id(connectionId, nameof(connectionId)), Group = Group(group) });

    /// <summary>Removes the connection <paramref name="connectionId"/> from <paramref name="group"/>, or from every group when it is null.</summary>
    public void RemoveConnectionFromGroup(string connectionId, string? group) =>
        Add(new HubAction(HubActionKind.RemoveConnectionFromGroup) { ConnectionId = Id(connectionId, nameof(connectionId)), Group = group is null ? null : Group(group) });

    /// <summary>Adds every connection of <paramref name="userId"/> to <paramref name="group"/>.</summary>
    public void AddUserToGroup(string userId, string group) =>
        Add(new HubAction(HubActionKind.AddUserToGroup) { UserId = Id(userId, nameof(userId)), Group = Group(group) });

    /// <summary>Removes every connection of <paramref name="userId"/> from <paramref name="group"/>, or from every group when it is null.</summary>
    public void RemoveUserFromGroup(string userId, string? group) =>
        Add(new HubAction(HubActionKind.RemoveUserFromGroup) { UserId = Id(userId, nameof(userId)), Group = group is null ? null : Group(group) });

    /// <summary>Closes the connection <paramref name="connectionId"/>, telling the client <paramref name="reason"/>.</summary>
    public void CloseConnection(string connectionId, string? reason = null) =>
        Add(new HubAction(HubActionKind.CloseConnection) { ConnectionId = Id(connectionId, nameof(connectionId)), Reason = Reason(reason) });

    /// <summary>Closes every connection of <paramref name="userId"/> but <paramref name="excluded"/>.</summary>
    public void CloseUserConnections(string userId, string? reason = null, IEnumerable<string>? excluded = null) =>
        Add(new HubAction(HubActionKind.CloseUserConnections) { UserId = Id(userId, nameof(userId)), Reason = Reason(reason), Excluded = Ids(excluded) });

    /// <summary>Closes every member of <paramref name="group"/> but <paramref name="excluded"/>.</summary>
    public void CloseGroupConnections(string group, string? reason = null, IEnumerable<string>? excluded = null) =>
        Add(new HubAction(HubActionKind.CloseGroupConnections) { Group = Group(group), Reason = Reason(reason), Excluded = Ids(excluded) });

    private void Add(HubAction action)
    {
        if (_actions.Count >= _maxActions)
        {
            throw new InvalidOperationException($"A handler may take at most {_maxActions} actions per request (Functions:Handlers:MaxActionsPerRequest).");
        }

        _actions.Add(action);
    }

    private MessageData Checked(MessageData data) => data.Bytes.Length <= _maxMessageBytes
        ? data
        : throw new ArgumentException($"The message of {data.Bytes.Length} bytes exceeds the limit of {_maxMessageBytes} bytes.", nameof(data));

    private static string Group(string group) => GroupNames.IsValid(group)
        ? group
        : throw new ArgumentException("Invalid group name: it must be 1 to 1024 characters, not only whitespace, with no control characters.", nameof(group));

    private static string Id(string id, string name) => id is { Length: > 0 and <= MaxIdLength }
        ? id
        : throw new ArgumentException($"The id must be 1 to {MaxIdLength} characters.", name);

    private static string? Reason(string? reason) => reason is { Length: > MaxReasonLength } ? reason[..MaxReasonLength] : reason;

    private static string[] Ids(IEnumerable<string>? ids)
    {
        if (ids is null)
        {
            return [];
        }

        var list = ids.Select(id => Id(id, nameof(ids))).ToArray();
        return list.Length <= 1000 ? list : throw new ArgumentException("At most 1000 connections may be excluded.", nameof(ids));
    }
}
