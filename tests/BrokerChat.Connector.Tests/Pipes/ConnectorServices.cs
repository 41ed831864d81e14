using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Endpoint;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Hosting;
using BrokerChat.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Connector.Tests.Pipes;

/// <summary>
/// The connector's services as the host registers them, with none of the hosted services started: nothing reaches
/// Kafka (a request that would is refused as the producer is not running), and time is a fake clock.
/// </summary>
internal sealed class ConnectorServices : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    public ConnectorServices(HostSettings? settings = null, Action<IServiceCollection>? configure = null)
    {
        settings = settings?.Clone() ?? new HostSettings();
        settings.Kafka.BootstrapServers = "127.0.0.1:9"; // never contacted: no hosted service starts
        var configuration = settings.BuildConfiguration();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<IConfiguration>(configuration)
            .AddBrokerChatConnector(configuration);
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton<IHostApplicationLifetime, Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>();
        configure?.Invoke(services);
        _provider = services.BuildServiceProvider();
    }

    /// <summary>The connector's clock.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.Parse("2026-12-03T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A connector service.</summary>
    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    /// <summary>An admitted connection, as <see cref="ConnectionAdmission"/> makes one.</summary>
    public AdmittedClient Admit(string id, string? userId, string[] roles, ClientProtocol? protocol = null, string[]? groups = null)
    {
        var connection = new ClientConnection(id, "chat", userId, roles, 100, 1 << 20, Clock, null, protocol ?? ClientProtocol.Json)
        {
            MessageExpired = Get<ConnectorMetrics>().ExpiredInQueue,
        };
        Get<ConnectionLimiter>().TryAcquire(userId, null);
        Get<ConnectionIndex>().HandlerStarted();
        return new AdmittedClient(connection, groups ?? [], null);
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
