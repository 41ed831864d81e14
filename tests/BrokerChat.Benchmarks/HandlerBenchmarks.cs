using BenchmarkDotNet.Attributes;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Hubs;
using BrokerChat.Functions.Hubs.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.Benchmarks;

/// <summary>
/// What the hub dispatcher adds to a request: the chat function alone (the baseline), the same request through the
/// hub handler for a hub without a class, for a hub whose pre-publish hook runs, a user event with one action, and an
/// invocation answered with its own data.
/// </summary>
[MemoryDiagnoser]
public class HandlerBenchmarks
{
    private readonly InboundFrame _plainGroup = Frame("plain", InboundKind.SendToGroup);
    private readonly InboundFrame _hookedGroup = Frame("bench", InboundKind.SendToGroup);
    private readonly InboundFrame _event = Frame("bench", InboundKind.Event);
    private readonly InboundFrame _invoke = Frame("bench", InboundKind.Invoke);
    private HubTestHost _host = null!;
    private ChatFunction _chat = null!;
    private HubRequestHandler _handler = null!;
    private long _offset;

    [GlobalSetup]
    public void Setup()
    {
        // No per-sender rate limit: every iteration is the same sender, and refusals are not what is measured.
        _host = HubTestHost.Create<BenchHub>(settings: new Dictionary<string, string?> { ["Functions:Moderation:MessagesPerSecond"] = "0" });
        _chat = _host.Services.GetRequiredService<ChatFunction>();
        _handler = _host.Services.GetRequiredService<HubRequestHandler>();
    }

    /// <summary>Fails the run when a request is refused: a refusal is cheaper than the path measured.</summary>
    [GlobalSetup(Target = nameof(Invocation))]
    public void SetupAndCheck()
    {
        Setup();
        foreach (var frame in new[] { _plainGroup, _hookedGroup, _event, _invoke })
        {
            var deliveries = _handler.HandleAsync(frame, Next(), default).AsTask().GetAwaiter().GetResult();
            if (deliveries.Any(d => d.Ack is { Success: false } || d.ErrorName is not null))
            {
                throw new InvalidOperationException($"The {frame.Kind} of hub {frame.Hub} was refused.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _host.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public IReadOnlyList<Delivery> ChatFunctionAlone() => _chat.Handle(_plainGroup, Next());

    [Benchmark]
    public IReadOnlyList<Delivery> HubWithoutClass() => _handler.HandleAsync(_plainGroup, Next(), default).AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public IReadOnlyList<Delivery> PublishHook() => _handler.HandleAsync(_hookedGroup, Next(), default).AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public IReadOnlyList<Delivery> UserEventWithOneAction() => _handler.HandleAsync(_event, Next(), default).AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public IReadOnlyList<Delivery> Invocation() => _handler.HandleAsync(_invoke, Next(), default).AsTask().GetAwaiter().GetResult();

    private InboundPosition Next() => new(0, _offset++);

    private static InboundFrame Frame(string hub, InboundKind kind) => new()
    {
        Kind = kind,
        Hub = hub,
        Group = kind == InboundKind.SendToGroup ? "room-1" : null,
        EventName = kind == InboundKind.SendToGroup ? null : "ping",
        InvocationId = kind == InboundKind.Invoke ? "1" : null,
        ConnectionId = "connection-1",
        ConnectorId = "connector-1",
        UserId = "alice",
        Roles = [Permissions.SendToGroup],
        AckId = 1,
        DataType = DataType.Json,
        Payload = """{"text":"hello, room","n":42}"""u8.ToArray(),
        ReceivedAt = 1,
    };

    /// <summary>A hub with a pre-publish hook, a user event and an invocation.</summary>
    [Hub("bench")]
    public sealed class BenchHub : BrokerChatHub
    {
        public override ValueTask<PublishDecision> OnPublishAsync(PublishContext context) => ValueTask.FromResult(PublishDecision.Accept());

        [UserEvent("ping")]
        public static void Ping(UserEventContext context) => context.Actions.Reply(context.Data);

        [Invocation("ping")]
        public static MessageData Echo(InvocationContext context) => context.Data;
    }
}
