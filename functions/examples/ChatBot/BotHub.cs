using BrokerChat.Contracts.Events;
using BrokerChat.Functions.Hubs;

namespace ChatBot;

/// <summary>The hub <c>bot</c>: refuses banned users, greets and seats everyone else in the lobby, echoes and shouts.</summary>
[Hub("bot")]
public sealed class BotHub : BrokerChatHub
{
    /// <summary>The group every connection joins.</summary>
    public const string Lobby = "lobby";

    public override ValueTask<ConnectEventResult> OnConnectAsync(ConnectContext context) =>
        ValueTask.FromResult(context.UserId == "banned" ? Refuse("This user is banned.") : Accept(groups: [Lobby]));

    public override ValueTask OnConnectedAsync(ConnectedContext context)
    {
        context.Actions.SendToConnection(context.ConnectionId, MessageData.FromObject(new { welcome = context.UserId }));
        return ValueTask.CompletedTask;
    }

    [Invocation("echo")]
    public MessageData Echo(InvocationContext context) => context.Data;

    [UserEvent("shout")]
    public void Shout(UserEventContext context, string text) =>
        context.Actions.SendToGroup(Lobby, MessageData.Text(text.ToUpperInvariant()));
}
