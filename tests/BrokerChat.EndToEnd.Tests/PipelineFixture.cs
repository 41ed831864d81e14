using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// One BrokerChat (connector, embedded Kafka, two in-process workers) shared by the pipeline tests. Tests keep
/// out of each other's way by using their own hub. The functions accept payloads of at most 64 KiB here (the
/// connector 1 MiB), so a test can see a rejection made by a function come back through Kafka.
/// </summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    public const int FunctionMaxMessageBytes = 64 * 1024;

    public BrokerChatHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Functions = { MaxMessageBytes = FunctionMaxMessageBytes, InProcessWorkers = 2 },
        }.WithoutRateLimits());

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
