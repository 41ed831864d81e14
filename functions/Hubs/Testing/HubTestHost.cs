using BrokerChat.Contracts.Events;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using BrokerChat.Functions.Chat;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BrokerChat.Functions.Hubs.Testing;

/// <summary>
/// Runs a hub's handlers in memory, through the same pipeline the hosts run (validation, moderation, middleware,
/// DI scopes), with no Kafka and no sockets: a test sends a connect, a user event, an invocation or a group message and
/// asserts on the <see cref="HubTestResult"/> (the actions taken, the answer, the error).
/// </summary>
/// <example>
/// <code>
/// await using var host = HubTestHost.Create&lt;BotHub&gt;();
/// var result = await host.InvokeAsync("echo", MessageData.Text("hi"));
/// Assert.Equal("hi", result.Answer?.ToString());
/// </code>
/// </example>
public sealed class HubTestHost : IAsyncDisposable
{
    /// <summary>The connection id events come from unless a test names another.</summary>
    public const string DefaultConnectionId = "test-connection";

    private readonly ServiceProvider _services;
    private readonly HubRequestHandler _handler;
    private readonly HubConnectHandler _connect;
    private long _offset;
    private ulong _ackId;
    private int _invocationId;

    private HubTestHost(ServiceProvider services, string hub)
    {
        _services = services;
        Hub = hub;
        _handler = services.GetRequiredService<HubRequestHandler>();
        _connect = services.GetServices<IConnectEventHandler>().OfType<HubConnectHandler>().Single();
    }

    /// <summary>The hub's name, lower-cased.</summary>
    public string Hub { get; }

    /// <summary>The host's services (the hub's dependencies, the options).</summary>
    public IServiceProvider Services => _services;

    /// <summary>
    /// A host for <typeparamref name="THub"/>, with configuration <paramref name="settings"/> (e.g. <c>Moderation:...</c>)
    /// and the hub's dependencies from <paramref name="configureServices"/> (which runs last, so it may replace
    /// anything, such as the <see cref="TimeProvider"/>).
    /// </summary>
    public static HubTestHost Create<THub>(Action<IServiceCollection>? configureServices = null, IReadOnlyDictionary<string, string?>? settings = null)
        where THub : BrokerChatHub
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.TryAddSingleton<IConfiguration>(configuration);
        services.AddBrokerChatFunction(configuration);
        services.AddBrokerChatHubRuntime(configuration);
        services.AddBrokerChatHub<THub>();
        configureServices?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        var hub = provider.GetRequiredService<HubRegistry>().Hubs.Single(h => h.Type == typeof(THub)).Name;
        return new HubTestHost(provider, hub);
    }

    /// <summary>A client asking to connect; the result is what the connector would do with it.</summary>
    public async Task<ConnectEventResult> ConnectAsync(string? userId = null, IReadOnlyDictionary<string, string[]>? query = null,
        IReadOnlyList<string>? subprotocols = null, IReadOnlyDictionary<string, string[]>? claims = null, string connectionId = DefaultConnectionId,
        CancellationToken cancellationToken = default)
    {
        var connect = new ConnectEvent(Hub, connectionId, userId, [], [], subprotocols ?? [], claims ?? new Dictionary<string, string[]>(),
            query ?? new Dictionary<string, string[]>(), new Dictionary<string, string[]>());
        return _connect.Handles(Hub) ? await _connect.ConnectAsync(connect, cancellationToken).ConfigureAwait(false) : ConnectEventResult.Accept();
    }

    /// <summary>A connection opened, in <paramref name="groups"/>.</summary>
    public Task<HubTestResult> ConnectedAsync(string? userId = null, IReadOnlyList<string>? groups = null, string connectionId = DefaultConnectionId, CancellationToken cancellationToken = default) =>
        RunAsync(Frame(InboundKind.Connected, connectionId, userId, f =>
        {
            f.Groups = groups?.ToArray();
            f.Subprotocol = "json.webpubsub.azure.v1";
        }), cancellationToken);

    /// <summary>A connection ended for <paramref name="reason"/>.</summary>
    public Task<HubTestResult> DisconnectedAsync(string? userId = null, string reason = "client_close", string connectionId = DefaultConnectionId, CancellationToken cancellationToken = default) =>
        RunAsync(Frame(InboundKind.Disconnected, connectionId, userId, f => f.Reason = reason), cancellationToken);

    /// <summary>A client's <c>event</c>, with an ack id.</summary>
    public Task<HubTestResult> SendEventAsync(string eventName, MessageData data, string? userId = null, string connectionId = DefaultConnectionId, CancellationToken cancellationToken = default) =>
        RunAsync(Event(eventName, data, userId, connectionId), cancellationToken);

    /// <summary>Several <c>event</c>s read together, as a worker hands a batch to a handler.</summary>
    public async Task<IReadOnlyList<HubTestResult>> SendEventsAsync(IEnumerable<(string EventName, MessageData Data)> events, string? userId = null,
        string connectionId = DefaultConnectionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var frames = events.Select(e => Event(e.EventName, e.Data, userId, connectionId)).ToArray();
        var positions = frames.Select(_ => new InboundPosition(0, _offset++)).ToArray();
        var results = await _handler.HandleBatchAsync(frames, positions, cancellationToken).ConfigureAwait(false);
        return results.Select(deliveries => new HubTestResult(deliveries, [])).ToArray();
    }

    /// <summary>A client's <c>invoke</c>.</summary>
    public Task<HubTestResult> InvokeAsync(string eventName, MessageData data, string? userId = null, string connectionId = DefaultConnectionId, CancellationToken cancellationToken = default) =>
        RunAsync(Frame(InboundKind.Invoke, connectionId, userId, f =>
        {
            f.EventName = eventName;
            f.InvocationId = (++_invocationId).ToString(System.Globalization.CultureInfo.InvariantCulture);
            f.DataType = data.DataType;
            f.Payload = data.ToArray();
        }), cancellationToken);

    /// <summary>A client's <c>sendToGroup</c>, with an ack id, from a connection allowed to send to any group.</summary>
    public Task<HubTestResult> SendToGroupAsync(string group, MessageData data, string? userId = null, string connectionId = DefaultConnectionId, CancellationToken cancellationToken = default) =>
        RunAsync(Frame(InboundKind.SendToGroup, connectionId, userId, f =>
        {
            f.Group = group;
            f.AckId = ++_ackId;
            f.DataType = data.DataType;
            f.Payload = data.ToArray();
        }), cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private async Task<HubTestResult> RunAsync(InboundFrame frame, CancellationToken cancellationToken)
    {
        var outcome = await _handler.HandleCoreAsync(frame, new InboundPosition(0, _offset++), cancellationToken).ConfigureAwait(false);
        return new HubTestResult(outcome.Deliveries, outcome.Actions);
    }

    private InboundFrame Event(string eventName, MessageData data, string? userId, string connectionId) =>
        Frame(InboundKind.Event, connectionId, userId, f =>
        {
            f.EventName = eventName;
            f.AckId = ++_ackId;
            f.DataType = data.DataType;
            f.Payload = data.ToArray();
        });

    private InboundFrame Frame(InboundKind kind, string connectionId, string? userId, Action<InboundFrame> fill)
    {
        var frame = new InboundFrame
        {
            Kind = kind,
            Hub = Hub,
            ConnectionId = connectionId,
            ConnectorId = "test-connector",
            UserId = userId,
            Roles = [Permissions.SendToGroup, Permissions.JoinLeaveGroup],
            ReceivedAt = _services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds(),
        };
        fill(frame);
        return frame;
    }
}
