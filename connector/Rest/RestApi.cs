using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Filters;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Presence;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace BrokerChat.Connector.Rest;

/// <summary>
/// The Web PubSub data-plane REST API under <c>/api/hubs/{hub}/...</c>, as <c>@azure/web-pubsub</c> and the other
/// server SDKs call it: send to all, a group, a user or a connection (with <c>excluded</c> and <c>filter</c>), add and
/// remove connections and users to and from groups, close connections, existence checks, grant, revoke and check a
/// connection's group permissions, list a group's connections and mint client tokens. Requests authenticate with an access-key token whose audience is the request URL
/// (<see cref="AccessTokenService.ValidateServerRequest"/>). Every change goes through Kafka
/// (<see cref="ServerRequestPublisher"/>), so it reaches the connections on every connector whichever one took the call.
/// </summary>
/// <remarks>
/// Paths are matched on the raw request target, each segment percent-decoded once, so group and user names may hold
/// any character (<c>g%2F1</c> is the group <c>g/1</c>). Errors are JSON <c>{"code","message"}</c> with the code also in
/// <c>x-ms-error-code</c>, as Azure answers. Existence and permission calls ask the connector holding the connection
/// (<see cref="HolderQueries"/>) rather than going through the functions.
/// </remarks>
internal sealed partial class RestApi(
    AccessTokenService tokens,
    ServerRequestPublisher publisher,
    HolderQueries holders,
    PresenceFeed presence,
    OutboundState outbound,
    RestHistory history,
    IOptions<RestOptions> options,
    ILogger<RestApi> logger)
{
    private const int MaxIdLength = 256;
    private const int MaxReasonLength = 512;
    private const int MaxMessageTtlSeconds = 300;
    private readonly RestOptions _options = options.Value;

    /// <summary>Handles one request under <c>/api/</c>.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var path = RawPath(context);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var method = context.Request.Method;
        if (segments is ["api", "health"])
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        var token = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
        if (!tokens.ValidateServerRequest(token, path, out var failure))
        {
            RestLog.RestUnauthorized(logger, method, path, failure!);
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", failure!);
            return;
        }

        if (segments is not ["api", "hubs", var hubName, ..] || !HubNames.IsValid(hubName))
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, "NotFound", "The path is not a Web PubSub REST API path (/api/hubs/{hub}/...) with a valid hub name.");
            return;
        }

        var hub = HubNames.Normalize(hubName);
        try
        {
            await RouteAsync(context, method, hub, hubName, segments[3..]);
        }
        catch (BadRequestException ex)
        {
            await ErrorAsync(context, ex.Status, ex.Code, ex.Message);
        }
    }

    private Task RouteAsync(HttpContext context, string method, string hub, string hubName, string[] rest) => (method, rest) switch
    {
        ("POST", [":send"]) => SendAsync(context, new InboundFrame { Kind = InboundKind.SendToAll, Hub = hub }, excluded: true, filter: true),
        ("POST", [":closeConnections"]) => CloseAsync(context, new InboundFrame { Kind = InboundKind.CloseConnections, Hub = hub, Target = DeliveryTarget.All }),
        ("POST", [":addToGroups"]) => GroupsByFilterAsync(context, hub, InboundKind.AddToGroup),
        ("POST", [":removeFromGroups"]) => GroupsByFilterAsync(context, hub, InboundKind.RemoveFromGroup),
        ("POST", [":generateToken"]) => GenerateTokenAsync(context, hubName),
        ("POST", ["users", var user, ":send"]) => SendAsync(context, new InboundFrame { Kind = InboundKind.SendToUser, Hub = hub, UserId = Id(user) }, excluded: false, filter: true),
        ("HEAD", ["users", var user]) => ExistsAsync(context, hub, DeliveryTarget.User, Id(user)),
        ("POST", ["users", var user, ":closeConnections"]) => CloseAsync(context, new InboundFrame { Kind = InboundKind.CloseConnections, Hub = hub, Target = DeliveryTarget.User, UserId = Id(user) }),
        ("PUT", ["users", var user, "groups", var group]) => MembershipAsync(context, InboundKind.AddToGroup, hub, DeliveryTarget.User, Id(user), Group(group)),
        ("DELETE", ["users", var user, "groups", var group]) => MembershipAsync(context, InboundKind.RemoveFromGroup, hub, DeliveryTarget.User, Id(user), Group(group)),
        ("DELETE", ["users", var user, "groups"]) => MembershipAsync(context, InboundKind.RemoveFromGroup, hub, DeliveryTarget.User, Id(user), null),
        ("POST", ["connections", var id, ":send"]) => SendAsync(context, new InboundFrame { Kind = InboundKind.SendToConnection, Hub = hub, ConnectionId = Id(id) }, excluded: false, filter: false),
        ("HEAD", ["connections", var id]) => ExistsAsync(context, hub, DeliveryTarget.Connection, Id(id)),
        ("DELETE", ["connections", var id]) => CloseAsync(context, new InboundFrame { Kind = InboundKind.CloseConnections, Hub = hub, Target = DeliveryTarget.Connection, ConnectionId = Id(id) }, excluded: false),
        ("DELETE", ["connections", var id, "groups"]) => MembershipAsync(context, InboundKind.RemoveFromGroup, hub, DeliveryTarget.Connection, Id(id), null),
        ("POST", ["groups", var group, ":send"]) => SendAsync(context, new InboundFrame { Kind = InboundKind.ServerSendToGroup, Hub = hub, Group = Group(group) }, excluded: true, filter: true),
        ("HEAD", ["groups", var group]) => GroupExistsAsync(context, hub, Group(group)),
        ("GET", ["groups", var group, "connections"]) => ListAsync(context, hub, Group(group)),
        ("GET", ["groups", var group, "messages"]) => history.ListAsync(context, hub, hubName, Group(group), (s, c, m) => ErrorAsync(context, s, c, m)),
        ("DELETE", ["groups", var group, "messages", var id]) => history.DeleteAsync(context, hub, Group(group), Id(id), (s, c, m) => ErrorAsync(context, s, c, m)),
        ("PUT", ["groups", var group, "messages", var id]) => EditAsync(context, hub, Group(group), Id(id)),
        ("DELETE", ["users", var user, "messages"]) => history.DeleteUserAsync(context, hub, Id(user), (s, c, m) => ErrorAsync(context, s, c, m)),
        ("POST", ["groups", var group, ":closeConnections"]) => CloseAsync(context, new InboundFrame { Kind = InboundKind.CloseConnections, Hub = hub, Target = DeliveryTarget.Group, Group = Group(group) }),
        ("PUT", ["groups", var group, "connections", var id]) => MembershipAsync(context, InboundKind.AddToGroup, hub, DeliveryTarget.Connection, Id(id), Group(group)),
        ("DELETE", ["groups", var group, "connections", var id]) => MembershipAsync(context, InboundKind.RemoveFromGroup, hub, DeliveryTarget.Connection, Id(id), Group(group)),
        ("PUT", ["permissions", var permission, "connections", var id]) => PermissionAsync(context, DeliveryCommand.GrantPermission, hub, permission, Id(id)),
        ("DELETE", ["permissions", var permission, "connections", var id]) => PermissionAsync(context, DeliveryCommand.RevokePermission, hub, permission, Id(id)),
        ("HEAD", ["permissions", var permission, "connections", var id]) => PermissionAsync(context, DeliveryCommand.CheckPermission, hub, permission, Id(id)),
        _ => ErrorAsync(context, StatusCodes.Status404NotFound, "NotFound", $"No operation {method} {string.Join('/', rest)} on a hub."),
    };

    private async Task SendAsync(HttpContext context, InboundFrame frame, bool excluded, bool filter)
    {
        ReadCommonQuery(context, frame, excluded, filter);
        if (context.Request.Query["messageTtlSeconds"].ToString() is { Length: > 0 } ttl)
        {
            if (!int.TryParse(ttl, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxMessageTtlSeconds)
            {
                throw new BadRequestException($"messageTtlSeconds must be an integer from 0 to {MaxMessageTtlSeconds}.");
            }

            frame.MessageTtlSeconds = seconds; // 0: the message does not expire
        }

        var body = await ReadBodyAsync(context);
        frame.Payload = body;
        frame.DataType = DataTypeOf(context.Request.ContentType);
        if (frame.DataType == DataType.Json && !JsonPayload.IsSingleValue(body))
        {
            throw new BadRequestException("The body is not a single valid JSON value.");
        }

        if (frame.DataType == DataType.Text && !Utf8.IsValid(body))
        {
            throw new BadRequestException("The text body is not valid UTF-8.");
        }

        await PublishAsync(context, frame, StatusCodes.Status202Accepted);
    }

    private async Task EditAsync(HttpContext context, string hub, string group, string id) =>
        await history.EditAsync(context, hub, group, id, DataTypeOf(context.Request.ContentType), await ReadBodyAsync(context), (s, c, m) => ErrorAsync(context, s, c, m));

    private Task CloseAsync(HttpContext context, InboundFrame frame, bool excluded = true)
    {
        ReadCommonQuery(context, frame, excluded, filter: false);
        var reason = context.Request.Query["reason"].ToString();
        if (reason.Length > MaxReasonLength)
        {
            throw new BadRequestException($"reason is longer than {MaxReasonLength} characters.");
        }

        frame.Reason = reason.Length > 0 ? reason : null;
        return PublishAsync(context, frame, StatusCodes.Status204NoContent);
    }

    private async Task MembershipAsync(HttpContext context, InboundKind kind, string hub, DeliveryTarget target, string id, string? group)
    {
        if (kind == InboundKind.AddToGroup && target == DeliveryTarget.Connection
            && await holders.ExistsAsync(hub, target, id, context.RequestAborted) != true)
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, "NotFound", $"Connection {id} does not exist.");
            return;
        }

        var frame = new InboundFrame
        {
            Kind = kind,
            Hub = hub,
            Group = group,
            Target = target,
            ConnectionId = target == DeliveryTarget.Connection ? id : "",
            UserId = target == DeliveryTarget.User ? id : null,
        };
        await PublishAsync(context, frame, kind == InboundKind.AddToGroup ? StatusCodes.Status200OK : StatusCodes.Status204NoContent);
    }

    private async Task GroupsByFilterAsync(HttpContext context, string hub, InboundKind kind)
    {
        var body = await ReadBodyAsync(context);
        string[] groups;
        string? filter;
        try
        {
            (groups, filter) = RestBodies.ParseGroups(body);
        }
        catch (RestBodyException ex)
        {
            throw new BadRequestException(ex.Message);
        }

        foreach (var group in groups.Distinct(StringComparer.Ordinal))
        {
            var frame = new InboundFrame { Kind = kind, Hub = hub, Group = group, Target = DeliveryTarget.All, Filter = filter };
            if (!await publisher.PublishAsync(frame, context.RequestAborted))
            {
                await UnavailableAsync(context);
                return;
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task ExistsAsync(HttpContext context, string hub, DeliveryTarget target, string id)
    {
        var exists = await holders.ExistsAsync(hub, target, id, context.RequestAborted);
        context.Response.StatusCode = exists switch
        {
            true => StatusCodes.Status200OK,
            false => StatusCodes.Status404NotFound,
            null => StatusCodes.Status503ServiceUnavailable,
        };
    }

    private Task GroupExistsAsync(HttpContext context, string hub, string group)
    {
        bool exists;
        lock (outbound.Gate)
        {
            exists = presence.List(hub, group, out _).Count > 0;
        }

        context.Response.StatusCode = exists ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    private Task ListAsync(HttpContext context, string hub, string group)
    {
        List<GroupMember> members;
        lock (outbound.Gate)
        {
            members = presence.List(hub, group, out _);
        }

        var top = int.TryParse(context.Request.Query["top"], out var t) && t > 0 ? t : int.MaxValue;
        var value = members.Take(top).Select(m => new { connectionId = m.ConnectionId, userId = m.UserId });
        return context.Response.WriteAsJsonAsync(new { value });
    }

    private Task GenerateTokenAsync(HttpContext context, string hubName)
    {
        var query = context.Request.Query;
        var userId = query["userId"].ToString();
        var roles = query["role"].Where(r => !string.IsNullOrEmpty(r)).Select(r => r!).ToArray();
        var groups = query["group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToArray();
        var minutes = 60;
        if (query["minutesToExpire"].ToString() is { Length: > 0 } text && (!int.TryParse(text, out minutes) || minutes < 1))
        {
            throw new BadRequestException("minutesToExpire must be a whole number of at least 1.");
        }

        if (userId.Length > MaxIdLength || !groups.All(GroupNames.IsValid) || roles.Any(r => r.Length > 1024))
        {
            throw new BadRequestException("userId, role or group is not valid.");
        }

        var request = context.Request;
        var audience = $"{request.Scheme}://{request.Host}{request.PathBase}{WebPubSubClientPaths.HubsPrefix}{Uri.EscapeDataString(hubName)}";
        var token = tokens.Mint(audience, userId.Length > 0 ? userId : null, roles, groups, TimeSpan.FromMinutes(minutes));
        return context.Response.WriteAsJsonAsync(new { token });
    }

    private async Task PublishAsync(HttpContext context, InboundFrame frame, int success)
    {
        if (await publisher.PublishAsync(frame, context.RequestAborted))
        {
            context.Response.StatusCode = success;
        }
        else
        {
            await UnavailableAsync(context);
        }
    }

    private static Task UnavailableAsync(HttpContext context) =>
        ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "The request could not be handed to Kafka now; retry later.");

    private static async Task ErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-ms-error-code"] = code;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.WriteAsJsonAsync(new { code, message });
        }
    }

    private sealed class BadRequestException(string message, int status = StatusCodes.Status400BadRequest, string code = "BadRequest") : Exception(message)
    {
        public int Status { get; } = status;

        public string Code { get; } = code;
    }
}
