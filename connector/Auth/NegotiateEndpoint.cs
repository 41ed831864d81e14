using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Auth;

/// <summary>
/// <c>GET /negotiate?hub=&lt;hub&gt;&amp;userId=&lt;id&gt;</c> → <c>{"url": "&lt;client access URL&gt;"}</c>: a token for
/// anyone who asks, with the roles of <see cref="AuthOptions.NegotiateRoles"/>. For local runs, demos and tests;
/// an application in production mints tokens in its own backend after authenticating its user.
/// </summary>
internal static class NegotiateEndpoint
{
    private static readonly string[] s_defaultRoles = [Permissions.JoinLeaveGroup, Permissions.SendToGroup];

    public static IResult Handle(HttpContext context, AccessTokenService tokens, IOptions<AuthOptions> options, string? hub, string? userId)
    {
        if (!HubNames.IsValid(hub))
        {
            return Results.BadRequest(new { error = "Query parameter 'hub' must be a valid hub name." });
        }

        if (userId is { Length: > 256 })
        {
            return Results.BadRequest(new { error = "userId is too long." });
        }

        var request = context.Request;
        var http = $"{request.Scheme}://{request.Host}{request.PathBase}{WebPubSubClientPaths.HubsPrefix}{Uri.EscapeDataString(hub!)}";
        var roles = options.Value.NegotiateRoles.Count > 0 ? options.Value.NegotiateRoles : [.. s_defaultRoles];
        var token = tokens.Mint(http, string.IsNullOrEmpty(userId) ? null : userId, roles, [], options.Value.NegotiateTokenLifetime);
        var ws = (request.IsHttps ? "wss" : "ws") + http[request.Scheme.Length..];
        return Results.Ok(new { url = $"{ws}?{WebPubSubQueryParameters.AccessToken}={Uri.EscapeDataString(token)}" });
    }
}
