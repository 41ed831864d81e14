using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Hubs;
using BrokerChat.Functions.Tests.Hubs;
using BrokerChat.Functions.Tests.Kafka;
using Microsoft.Extensions.DependencyInjection;
using static BrokerChat.Functions.Tests.Webhooks.WebhookRig;

namespace BrokerChat.Functions.Tests.Webhooks;

/// <summary>The application's hub class for the hub that also has an event handler.</summary>
[Hub(WebhookRig.Hub)]
public sealed class HooksHub(Calls calls) : BrokerChatHub
{
    public override ValueTask OnConnectedAsync(ConnectedContext context)
    {
        calls.Add("hub:connected");
        return ValueTask.CompletedTask;
    }

    [UserEvent("own")]
    public void Own(UserEventContext context)
    {
        calls.Add("hub:own");
        context.Actions.Reply(MessageData.Text("from the hub"));
    }

    [Invocation("sum")]
    public static string Sum() => "from the hub";
}

/// <summary>A hub with both a class and an event handler: which runs, in what order.</summary>
public sealed class WebhookWithHubTests
{
    private const int Timeout = 90_000;

    [Fact(Timeout = Timeout)]
    public async Task TheHubsOwnEventsGoToItsClassAloneOthersToTheEventHandlerAndConnectedRunsTheClassThenTheEventHandler()
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = new Calls();
        await using var rig = await StartAsync(ct, configureServices: services => services.AddSingleton(calls).AddBrokerChatHub<HooksHub>());
        rig.Upstream.Behaviour = (call, _) =>
        {
            calls.Add($"webhook:{call.EventName}");
            return Task.FromResult(UpstreamAnswer.Text("from the webhook"));
        };

        await rig.SendAsync(Connection(InboundKind.Connected, "conn-h"), ct);
        await rig.SendAsync(Event("conn-h", "own", DataType.Text, "a", ackId: 1), ct);
        await rig.SendAsync(Event("conn-h", "other", DataType.Text, "b", ackId: 2), ct);
        await rig.SendAsync(Invoke("conn-h", "sum", "1", "c"), ct);
        await rig.SendAsync(Invoke("conn-h", "lookup", "2", "d"), ct);

        var deliveries = await rig.DeliveriesToAsync("conn-h", 5, ct);
        Assert.Equal(["hub:connected", "webhook:connected", "hub:own", "webhook:other", "webhook:lookup"], calls.Log);
        var texts = deliveries.Where(d => d.Payload is not null).Select(d => Encoding.UTF8.GetString(d.Payload!)).ToArray();
        Assert.Equal(["from the hub", "from the webhook", "from the hub", "from the webhook"], texts);
    }
}
