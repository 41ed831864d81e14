using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Sessions;
using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Rest;

/// <summary>
/// Carries out the REST API's permission calls on a connection held here: grant and revoke change its
/// <see cref="ConnectionPermissions"/> (what its next requests are judged by), check reads them. A reliable session
/// that changed is sent a fresh reconnection token at once, in order with its messages, so the change moves with the
/// session if it resumes on another connector.
/// </summary>
internal sealed class PermissionGrants(ReliableSessions sessions, ILogger<PermissionGrants> logger)
{
    /// <summary>Carries out <paramref name="command"/> on <paramref name="connection"/>. Under the outbound gate.</summary>
    public HolderAnswer Apply(ClientConnection connection, DeliveryCommand command, GroupPermission permission, string? group)
    {
        var current = connection.Permissions;
        if (command == DeliveryCommand.CheckPermission)
        {
            return new HolderAnswer(true, current.Has(permission, group));
        }

        var changed = current.Change(permission, group, grant: command == DeliveryCommand.GrantPermission, out var outcome);
        if (outcome == PermissionChange.TooMany)
        {
            RestLog.PermissionChanged(logger, connection.Id, command, permission, group ?? "every group", "refused");
            return new HolderAnswer(true, current.Has(permission, group),
                $"The connection would hold more than {ConnectionPermissions.MaxGroupExceptions} per-group grants and revocations (or {ConnectionPermissions.MaxGroupExceptionChars} characters of their group names); grant or revoke every group instead.");
        }

        if (!ReferenceEquals(changed, current))
        {
            connection.Permissions = changed;
            if (connection.IsReliable)
            {
                connection.EnqueueInOrder(sessions.TokenFrame(connection, "permission"));
            }

            RestLog.PermissionChanged(logger, connection.Id, command, permission, group ?? "every group", "applied");
        }

        return new HolderAnswer(true, changed.Has(permission, group));
    }
}
