using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Hubs;

/// <summary>
/// The application's <see cref="BrokerChatHub.OnConnectAsync"/> handlers as the connector's connect seam: called in
/// the connector's own process when the functions run there, and behind the functions' event-handler endpoint
/// (<see cref="EventHandlerEndpoint"/>) when they run elsewhere. A <see cref="HubException"/> refuses the
/// client (401 for <c>Unauthorized</c>, 403 for <c>Forbidden</c>, 400 otherwise); any other exception is the
/// connector's to fail closed on.
/// </summary>
internal sealed class HubConnectHandler(HubRegistry hubs, HubDispatcher dispatcher) : IConnectEventHandler
{
    /// <inheritdoc />
    public bool Handles(string hub) => hubs.Find(hub) is { HandlesConnect: true };

    /// <inheritdoc />
    public async ValueTask<ConnectEventResult> ConnectAsync(ConnectEvent connect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connect);
        if (hubs.Find(connect.Hub) is not { HandlesConnect: true } hub)
        {
            return ConnectEventResult.Accept();
        }

        var context = new ConnectContext(connect) { CancellationToken = cancellationToken };
        try
        {
            return await dispatcher.RunAsync(hub, HubHandlerKind.Connect, null, [context], h => h.OnConnectAsync(context)).ConfigureAwait(false)
                ?? ConnectEventResult.Refuse(500, "The connect handler decided nothing.");
        }
        catch (HubException refused)
        {
            return ConnectEventResult.Refuse(refused.Name switch
            {
                "Unauthorized" => 401,
                AckErrorNames.Forbidden => 403,
                _ => 400,
            }, refused.Message);
        }
    }
}
