using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Hubs;

namespace BrokerChat.Functions.Tests.Hubs;

/// <summary>Counts what ran, shared by a test and its hub (registered as a singleton).</summary>
public sealed class Calls
{
    private int _count;

    public List<string> Log { get; } = [];

    public int Count => Volatile.Read(ref _count);

    public void Add(string what)
    {
        lock (Log)
        {
            Log.Add(what);
        }

        Interlocked.Increment(ref _count);
    }
}

/// <summary>A scoped service: one instance per handler run.</summary>
public sealed class PerInvocation
{
    public Guid Id { get; } = Guid.NewGuid();
}

public sealed record Order(string Item, int Quantity);

[Hub("shop")]
public sealed class ShopHub(Calls calls, PerInvocation scoped) : BrokerChatHub
{
    public static readonly TaskCompletionSource Started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override ValueTask<ConnectEventResult> OnConnectAsync(ConnectContext context)
    {
        calls.Add("connect");
        if (context.Query.TryGetValue("ticket", out var ticket) && ticket is ["bad"])
        {
            throw new HubException("Unauthorized", "The ticket is not valid.");
        }

        return ValueTask.FromResult(context.UserId == "mallory" ? Refuse("No entry.", 403) : Accept(userId: context.UserId + "@shop", groups: ["customers"], roles: ["webpubsub.sendToGroup.customers"]));
    }

    public override ValueTask OnConnectedAsync(ConnectedContext context)
    {
        calls.Add($"connected:{string.Join(',', context.Groups)}");
        context.Actions.AddConnectionToGroup(context.ConnectionId, "lobby");
        context.Actions.SendToGroup("lobby", MessageData.Text($"{context.UserId} arrived"));
        return ValueTask.CompletedTask;
    }

    public override ValueTask OnDisconnectedAsync(DisconnectedContext context)
    {
        calls.Add($"disconnected:{context.Reason}");
        return ValueTask.CompletedTask;
    }

    public override ValueTask<PublishDecision> OnPublishAsync(PublishContext context)
    {
        calls.Add("publish");
        var text = context.Data.ToString();
        return ValueTask.FromResult(text.Contains("spam", StringComparison.Ordinal) ? PublishDecision.Reject("No spam here.")
            : text.Contains("darn", StringComparison.Ordinal) ? PublishDecision.Rewrite(MessageData.Text(text.Replace("darn", "****", StringComparison.Ordinal)))
            : PublishDecision.Accept());
    }

    [UserEvent("order")]
    public void Place(UserEventContext context, Order order)
    {
        calls.Add($"order:{order.Item}x{order.Quantity}:{scoped.Id}");
        context.Actions.SendToUser("staff", MessageData.FromObject(order));
        context.Actions.Reply(MessageData.Text("thanks"));
    }

    [UserEvent("fail")]
    public static void Fail(UserEventContext context) => throw new InvalidOperationException("The database is down.");

    [UserEvent("refuse")]
    public static void RefuseIt(UserEventContext context) => throw HubException.Forbidden("Not for you.");

    [UserEvent("save", Batch = true)]
    public Task Save(IReadOnlyList<UserEventContext> events, CancellationToken cancellationToken)
    {
        calls.Add($"save:{events.Count}:{string.Join(',', events.Select(e => e.Data.ToString()))}");
        return Task.CompletedTask;
    }

    [Invocation("echo")]
    public static MessageData Echo(InvocationContext context) => context.Data;

    [Invocation("price")]
    public static async Task<object> Price(Order order, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return new { order.Item, Total = order.Quantity * 3 };
    }

    [Invocation("nothing")]
    public static ValueTask Nothing() => ValueTask.CompletedTask;

    [Invocation("slow")]
    public static async Task<string> Slow(CancellationToken cancellationToken)
    {
        Started.TrySetResult();
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        return "never";
    }

    [Invocation("denied")]
    public static string Denied() => throw new HubException(AckErrorNames.Forbidden, "Members only.");
}

/// <summary>Records the order middleware runs in.</summary>
public sealed class OuterMiddleware(Calls calls) : IHubMiddleware
{
    public async ValueTask InvokeAsync(HubInvocation invocation, HubHandlerDelegate next)
    {
        calls.Add($"outer>{invocation.Kind}:{invocation.EventName}");
        await next(invocation);
        calls.Add("outer<");
    }
}

public sealed class InnerMiddleware(Calls calls) : IHubMiddleware
{
    public async ValueTask InvokeAsync(HubInvocation invocation, HubHandlerDelegate next)
    {
        calls.Add("inner>");
        await next(invocation);
        calls.Add("inner<");
    }
}

public sealed class UnnamedHub : BrokerChatHub;

[Hub("twice")]
public sealed class TwiceHub : BrokerChatHub
{
    [UserEvent("a")]
    public static void One()
    {
    }

    [UserEvent("A")]
    public static void Two()
    {
    }
}
