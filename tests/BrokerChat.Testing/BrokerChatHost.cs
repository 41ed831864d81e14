using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Hosting;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.Testing;

/// <summary>
/// A whole BrokerChat in this process: connector on 127.0.0.1 with a kernel-chosen port, Kafka and the in-process
/// function workers, started and ready (deliveries being read, every worker owning partitions). The Kafka is the
/// run's choice (<see cref="TestKafka"/>) unless <c>Kafka:BootstrapServers</c> is given; every host has topics and
/// a functions consumer group of its own, so hosts sharing a cluster do not see each other's traffic.
/// </summary>
public sealed class BrokerChatHost : IAsyncDisposable
{
    /// <summary>The access key every host is configured with (<c>Auth:AccessKeys:0</c>), unless its settings replace it.</summary>
    public const string AccessKey = "test-access-key-0123456789abcdef0123456789";

    private readonly bool _ownsTopics;

    private BrokerChatHost(WebApplication app, Uri baseUri, string topicPrefix, string groupId, bool ownsTopics)
    {
        App = app;
        BaseUri = baseUri;
        TopicPrefix = topicPrefix;
        FunctionsGroupId = groupId;
        _ownsTopics = ownsTopics;
    }

    /// <summary>The running application.</summary>
    public WebApplication App { get; }

    /// <summary>The HTTP base address, ending with '/'.</summary>
    public Uri BaseUri { get; }

    /// <summary>Services of the application.</summary>
    public IServiceProvider Services => App.Services;

    /// <summary>The host's topic prefix (<c>Kafka:TopicPrefix</c>): unique per host unless given.</summary>
    public string TopicPrefix { get; }

    /// <summary>The functions' consumer group (<c>Functions:GroupId</c>): unique per host unless given.</summary>
    public string FunctionsGroupId { get; }

    /// <summary>The settings that put another connector or a functions process on this host's Kafka, topics and functions group.</summary>
    public HostSettings JoinSettings => new()
    {
        Kafka = { BootstrapServers = Services.GetRequiredService<KafkaEndpoint>().BootstrapServers, TopicPrefix = TopicPrefix },
        Functions = { GroupId = FunctionsGroupId },
    };

    /// <summary>
    /// Starts a host with <paramref name="settings"/> over the test defaults (loopback on a kernel-chosen port,
    /// warnings and worse logged, <see cref="AccessKey"/>, negotiate on, no local-run HTTPS listener); without <c>Kafka:TopicPrefix</c> the host
    /// gets a prefix and functions group of its own, without <c>Functions:InProcessWorkers</c> two workers.
    /// </summary>
    public static async Task<BrokerChatHost> StartAsync(HostSettings? settings = null, Action<IServiceCollection>? configureServices = null, bool waitForWorkers = true)
    {
        var given = settings?.Clone() ?? new HostSettings();
        if (given.Kafka.BootstrapServers is null && await TestKafka.BootstrapServersAsync().ConfigureAwait(false) is { Length: > 0 } bootstrap)
        {
            given.Kafka.BootstrapServers = bootstrap;
        }

        var ownsTopics = given.Kafka.TopicPrefix is null;
        if (ownsTopics)
        {
            given.Kafka.TopicPrefix = $"test-{Guid.NewGuid():N}"[..17] + ".";
        }

        var prefix = given.Kafka.TopicPrefix!;
        given.Functions.GroupId ??= prefix + "functions";
        given.Functions.InProcessWorkers ??= 2; // the embedded default, on any cluster

        var defaults = new HostSettings
        {
            Urls = "http://127.0.0.1:0",
            DefaultLogLevel = "Warning",
            Auth = { AccessKeys = [AccessKey], EnableNegotiate = true },
            LocalRun = { Https = false }, // hosts on the embedded Kafka are local runs; tests that want HTTPS ask for it
            // A local run keeps history by default; a test host only when the test asks (History:Enabled and a database).
            ["History:Enabled"] = "false",
        };
        var args = new List<string>();
        foreach (var (key, value) in defaults.ToConfiguration().Concat(given.ToConfiguration()))
        {
            args.Add($"--{key}");
            args.Add(value);
        }

        var app = ConnectorApp.Build([.. args], configureServices);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (waitForWorkers)
        {
            await ConnectorApp.WaitUntilReadyAsync(app, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }

        var address = ConnectorApp.Addresses(app)[0];
        return new BrokerChatHost(app, new Uri(address.TrimEnd('/') + "/"), prefix, given.Functions.GroupId!, ownsTopics);
    }

    /// <summary>A client access URL minted directly (no HTTP round trip), by default with the roles to join and send anywhere.</summary>
    public Uri ClientUrl(string hub, string? userId, IEnumerable<string>? roles = null)
    {
        var tokens = Services.GetRequiredService<AccessTokenService>();
        var token = tokens.Mint(new Uri(BaseUri, $"client/hubs/{hub}").ToString(), userId, roles ?? [Permissions.JoinLeaveGroup, Permissions.SendToGroup], [], TimeSpan.FromHours(1));
        return new Uri($"ws://{BaseUri.Authority}{WebPubSubClientPaths.HubsPrefix}{hub}?{WebPubSubQueryParameters.AccessToken}={token}");
    }

    /// <summary>Connects a test client through <c>/negotiate</c>.</summary>
    public Task<WebPubSubTestClient> ConnectAsync(string hub, string? userId, CancellationToken cancellationToken = default) =>
        WebPubSubTestClient.ConnectAsync(BaseUri, hub, userId, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var endpoint = Services.GetRequiredService<KafkaEndpoint>();
        var admin = _ownsTopics && endpoint.Embedded is null && endpoint.Ready.IsCompletedSuccessfully
            ? Services.GetRequiredService<KafkaClientFactory>().AdminConfig(endpoint.BootstrapServers)
            : null;
        await App.DisposeAsync().ConfigureAwait(false);
        if (admin is not null)
        {
            await DeleteTopicsAsync(admin, TopicPrefix).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes this host's topics from a shared cluster (best effort), so a run leaves the cluster as it found it.</summary>
    private static async Task DeleteTopicsAsync(AdminClientConfig config, string prefix)
    {
        using var admin = new AdminClientBuilder(config).Build();
        var topics = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic).Where(t => t.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (topics.Count > 0)
        {
            try
            {
                await admin.DeleteTopicsAsync(topics, new DeleteTopicsOptions { OperationTimeout = TimeSpan.FromSeconds(10) }).WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            }
            catch (DeleteTopicsException)
            {
                // A cluster that forbids deleting topics keeps them; the unique prefix still keeps runs apart.
            }
        }
    }
}
