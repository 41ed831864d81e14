using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using Microsoft.AspNetCore.Http;

namespace BrokerChat.Connector.Rest;

/// <summary>
/// The permission calls, <c>/permissions/{permission}/connections/{connectionId}?targetName={group}</c>: PUT grants,
/// DELETE revokes, HEAD checks <c>joinLeaveGroup</c> or <c>sendToGroup</c> for one group, or for every group when
/// <c>targetName</c> is absent. The connector holding the connection carries the call out before it is answered.
/// </summary>
internal sealed partial class RestApi
{
    private async Task PermissionAsync(HttpContext context, DeliveryCommand command, string hub, string permissionName, string connectionId)
    {
        var permission = Permissions.Parse(permissionName);
        if (permission == GroupPermission.None)
        {
            throw new BadRequestException($"Unknown permission '{permissionName}': it must be {Permissions.JoinLeaveGroupName} or {Permissions.SendToGroupName}.");
        }

        var target = context.Request.Query["targetName"].ToString();
        var group = target.Length > 0 ? Group(target) : null;
        var answer = await holders.PermissionAsync(command, hub, connectionId, permission, group, context.RequestAborted);
        if (answer is not { } holder)
        {
            await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "Too many calls are waiting for other connectors' answers, or Kafka refused the query; retry later.");
            return;
        }

        if (holder.Refusal is { } refusal)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "BadRequest", refusal);
            return;
        }

        switch (command)
        {
            case DeliveryCommand.GrantPermission when !holder.Found:
                await ErrorAsync(context, StatusCodes.Status404NotFound, "NotFound", $"Connection {connectionId} does not exist.");
                break;
            case DeliveryCommand.GrantPermission:
                context.Response.StatusCode = StatusCodes.Status200OK;
                break;
            case DeliveryCommand.RevokePermission:
                // A connection that does not exist has no permission left to take: the revocation holds either way.
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            default:
                context.Response.StatusCode = holder is { Found: true, Permitted: true } ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
                break;
        }
    }
}
