using BrokerChat.Connector.Connections;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;

namespace BrokerChat.Connector.Requests;

/// <summary>What a request does with a group, for the permission it needs.</summary>
internal enum GroupAccess
{
    /// <summary>Send to it: the sendToGroup role.</summary>
    Send,

    /// <summary>Join or leave it: the joinLeaveGroup role.</summary>
    JoinLeave,

    /// <summary>List its members or page its history: being one of them, or the joinLeaveGroup role.</summary>
    List,
}

/// <summary>
/// Checks a request's group name and the permission it needs (the connection's <see cref="ConnectionPermissions"/>:
/// its token's roles, <see cref="Permissions"/>, with the REST API's grants and revocations), and answers the ack
/// error itself when it fails.
/// </summary>
internal sealed class GroupPermissions(ConnectorMetrics metrics)
{
    /// <summary>True when <paramref name="request"/> may do <paramref name="access"/> with its group; otherwise it has been answered.</summary>
    public bool Check(ClientConnection connection, ClientRequest request, GroupAccess access)
    {
        string? name = null;
        string? message = null;
        if (!GroupNames.IsValid(request.Group))
        {
            name = AckErrorNames.BadRequest;
            message = "Invalid group name: it must be 1 to 1024 characters, not only whitespace, with no control characters.";
        }
        else if (access switch
        {
            GroupAccess.Send => !connection.Permissions.Allows(GroupPermission.SendToGroup, request.Group!),
            // Its groups change only through its own requests, handled one at a time: membership is current here.
            GroupAccess.List => !connection.Permissions.Allows(GroupPermission.JoinLeaveGroup, request.Group!) && !connection.IsMember(request.Group!),
            _ => !connection.Permissions.Allows(GroupPermission.JoinLeaveGroup, request.Group!),
        })
        {
            name = AckErrorNames.Forbidden;
            message = access switch
            {
                GroupAccess.Send => $"The client does not have permission to send to group '{request.Group}'.",
                GroupAccess.List => $"The client does not have permission to read group '{request.Group}': join it first.",
                _ => $"The client does not have permission to join or leave group '{request.Group}'.",
            };
        }

        if (name is null)
        {
            return true;
        }

        metrics.RequestRejected(name == AckErrorNames.Forbidden ? "forbidden" : "bad_request");

        if (request.AckId is { } ackId)
        {
            connection.TryEnqueue(connection.Writer.AckError(ackId, name, message!));
        }

        return false;
    }
}
