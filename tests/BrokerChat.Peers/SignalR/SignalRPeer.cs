using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using System.Text.Json;

namespace BrokerChat.Peers.SignalR;

/// <summary>The SignalR peer: a hub at <c>/chat</c>, on the Redis backplane when <c>--redis</c> is given.</summary>
internal static class SignalRPeer
{
    /// <summary>The prefix of the backplane's Redis channels.</summary>
    public const string ChannelPrefix = "brokerchat-bench";

    public static void AddServices(WebApplicationBuilder builder)
    {
        var signalR = builder.Services.AddSignalR();
        if (builder.Configuration["redis"] is { Length: > 0 } redis)
        {
            signalR.AddStackExchangeRedis(redis, options => options.Configuration.ChannelPrefix = RedisChannel.Literal(ChannelPrefix));
        }
    }

    public static void Map(WebApplication app) => app.MapHub<ChatHub>("/chat");
}

/// <summary>Rooms as SignalR groups: join one, send JSON to one; members get <c>message(room, data)</c>.</summary>
internal sealed class ChatHub : Hub
{
    /// <summary>Adds the caller to a room.</summary>
    public Task JoinRoom(string room) => Groups.AddToGroupAsync(Context.ConnectionId, room);

    /// <summary>Removes the caller from a room.</summary>
    public Task LeaveRoom(string room) => Groups.RemoveFromGroupAsync(Context.ConnectionId, room);

    /// <summary>Sends <paramref name="data"/> to every member of a room, the caller too when it is one.</summary>
    public Task SendToRoom(string room, JsonElement data) => Clients.Group(room).SendAsync("message", room, data);
}
