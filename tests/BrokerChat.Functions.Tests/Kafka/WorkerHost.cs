using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Hosting;
using BrokerChat.Functions.Hosting.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>
/// One Kafka function worker, hosted as the functions process hosts it (<c>AddBrokerChatFunctions</c>), on a
/// <see cref="WorkerKafka"/>, running the request handler a test gives it.
/// </summary>
internal sealed class WorkerHost : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly IHost _host;
    private bool _stopped;

    private WorkerHost(IHost host)
    {
        _host = host;
        Worker = host.Services.GetRequiredService<FunctionWorkers>().Workers.Single();
    }

    public KafkaFunctionWorker Worker { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>
    /// Starts a worker of group <paramref name="groupId"/> running the handler <paramref name="handler"/> makes, with
    /// <paramref name="settings"/> (<c>Functions:*</c> and others) on top and the services <paramref name="configureServices"/>
    /// adds (after the host's); returns once it owns every partition.
    /// </summary>
    public static async Task<WorkerHost> StartAsync(
        WorkerKafka kafka, string groupId, Func<IServiceProvider, IRequestHandler> handler, IReadOnlyDictionary<string, string?>? settings, CancellationToken ct,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = kafka.BootstrapServers,
            ["Kafka:TopicPrefix"] = kafka.Prefix,
            ["Kafka:CreateTopics"] = "false",
            ["Kafka:FetchWaitMaxMs"] = "10",
            ["Functions:GroupId"] = groupId,
            ["Functions:Moderation:MessagesPerSecond"] = "0",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddLogging();
        builder.Services.AddSingleton(handler);
        builder.Services.AddBrokerChatFunctions(builder.Configuration, workers: 1);
        configureServices?.Invoke(builder.Services);
        var host = new WorkerHost(builder.Build());
        await host._host.StartAsync(ct);
        await Eventually.HoldsAsync(() => host.Worker.AssignedPartitions.Count == WorkerKafka.Partitions, StartTimeout, "the worker owns every partition", ct);
        return host;
    }

    /// <summary>Stops the worker: it drains for up to <c>Functions:DrainTimeout</c>, commits what finished and leaves the group.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _host.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}
