using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Hubs;
using BrokerChat.Functions.Tests.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.Functions.Tests.Webhooks;

/// <summary>
/// A worker test with event handlers: the embedded Kafka, a <see cref="TestUpstream"/> as the hub's event handler for
/// every user event and <c>connected</c>/<c>disconnected</c>, one worker running the default request handler (the hubs'),
/// and readers of the outbound and dead-letter topics. Records are keyed by their connection, as the connector keys them.
/// </summary>
internal sealed class WebhookRig : IAsyncDisposable
{
    public const string Hub = "hooks";
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private WebhookRig(WorkerKafka kafka, TestUpstream upstream)
    {
        Kafka = kafka;
        Upstream = upstream;
        Outbound = kafka.Read(kafka.Topics.Outbound);
        DeadLetters = kafka.Read(kafka.Topics.DeadLetter);
    }

    public WorkerKafka Kafka { get; }

    public TestUpstream Upstream { get; }

    public WorkerHost Worker { get; private set; } = null!;

    public TopicReader Outbound { get; }

    public TopicReader DeadLetters { get; }

    /// <summary>Starts the rig: retries 30 ms apart at first, up to <paramref name="attempts"/> tries, and <paramref name="settings"/> on top.</summary>
    public static async Task<WebhookRig> StartAsync(CancellationToken ct, int attempts = 3, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        var kafka = new WorkerKafka();
        var upstream = await TestUpstream.StartAsync(ct);
        var rig = new WebhookRig(kafka, upstream);
        var all = upstream.Settings(Hub, "*", "connected", "disconnected");
        all["Functions:MaxAttempts"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        all["Functions:RetryDelay"] = "00:00:00.030";
        all["Functions:MaxRetryDelay"] = "00:00:00.200";
        all["EventHandlers:FailuresBeforeBreak"] = "1000";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        rig.Worker = await WorkerHost.StartAsync(kafka, $"g{Guid.NewGuid():N}", sp => sp.GetRequiredService<HubRequestHandler>(), all, ct, configureServices);
        return rig;
    }

    public static InboundFrame Event(string connectionId, string eventName, DataType dataType, string data, ulong? ackId = 1) => new()
    {
        Kind = InboundKind.Event,
        Hub = Hub,
        ConnectionId = connectionId,
        ConnectorId = "connector-1",
        UserId = "ann",
        AckId = ackId,
        EventName = eventName,
        DataType = dataType,
        Payload = dataType == DataType.Binary ? Convert.FromBase64String(data) : Encoding.UTF8.GetBytes(data),
        ReceivedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
    };

    public static InboundFrame Invoke(string connectionId, string eventName, string invocationId, string text) => new()
    {
        Kind = InboundKind.Invoke,
        Hub = Hub,
        ConnectionId = connectionId,
        ConnectorId = "connector-1",
        EventName = eventName,
        InvocationId = invocationId,
        DataType = DataType.Text,
        Payload = Encoding.UTF8.GetBytes(text),
        ReceivedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
    };

    public static InboundFrame Connection(InboundKind kind, string connectionId) => new()
    {
        Kind = kind,
        Hub = Hub,
        ConnectionId = connectionId,
        ConnectorId = "connector-1",
        UserId = "ann",
        Reason = kind == InboundKind.Disconnected ? "gone" : null,
        ReceivedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
    };

    /// <summary>Produces <paramref name="frame"/> keyed by its connection, as the connector does.</summary>
    public Task<TopicPartitionOffset> SendAsync(InboundFrame frame, CancellationToken ct) =>
        Kafka.ProduceAsync(PartitionKeys.Connection(frame.Hub, frame.ConnectionId), frame, ct);

    /// <summary>The deliveries to <paramref name="connectionId"/> once <paramref name="count"/> arrived.</summary>
    public async Task<Delivery[]> DeliveriesToAsync(string connectionId, int count, CancellationToken ct)
    {
        var records = await Outbound.WaitForAsync(r => r.Count(d => d.Delivery?.ConnectionId == connectionId) >= count, Patience, $"{count} deliveries to {connectionId}", ct);
        return records.Where(d => d.Delivery?.ConnectionId == connectionId).Select(d => d.Delivery!).ToArray();
    }

    /// <summary>The events posted for <paramref name="connectionId"/> once <paramref name="count"/> arrived.</summary>
    public async Task<UpstreamCall[]> CallsForAsync(string connectionId, int count, CancellationToken ct)
    {
        await Eventually.HoldsAsync(() => Upstream.Calls.Count(c => c.ConnectionId == connectionId) >= count, Patience, $"{count} events of {connectionId} reach the handler", ct);
        return Upstream.Calls.Where(c => c.ConnectionId == connectionId).ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        await Upstream.DisposeAsync();
        Kafka.Dispose();
    }
}
