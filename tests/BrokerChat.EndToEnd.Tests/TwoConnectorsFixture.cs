using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>Two connectors on one Kafka: REST calls go to the first, clients are connected to the second.</summary>
public sealed class TwoConnectorsFixture : IAsyncLifetime
{
    /// <summary>The key both connectors are configured with.</summary>
    public const string AccessKey = BrokerChatHost.AccessKey;

    public BrokerChatHost Rest { get; private set; } = null!;

    public BrokerChatHost Clients { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Rest = await BrokerChatHost.StartAsync(new HostSettings
        {
            Kafka = { FetchWaitMaxMs = 10 },
            Functions = { InProcessWorkers = 2, Moderation = { MessagesPerSecond = 0 } },
        });
        Clients = await SecondConnector.StartAsync(Rest);
    }

    public async ValueTask DisposeAsync()
    {
        await Clients.DisposeAsync();
        await Rest.DisposeAsync();
    }
}
