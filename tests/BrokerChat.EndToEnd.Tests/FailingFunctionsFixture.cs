using BrokerChat.Functions.Chat;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>One BrokerChat whose functions run <see cref="ScriptedFailures"/>, with fast retries and small partition queues.</summary>
public class FailingFunctionsFixture : IAsyncLifetime
{
    public const int MaxAttempts = 4;

    public BrokerChatHost Host { get; private set; } = null!;

    /// <summary>Tries before a request is dead-lettered.</summary>
    protected virtual int Attempts => MaxAttempts;

    public ScriptedFailures Failures => Host.Services.GetRequiredService<ScriptedFailures>();

    public async ValueTask InitializeAsync() =>
        Host = await BrokerChatHost.StartAsync(
            new HostSettings
            {
                Functions =
                {
                    InProcessWorkers = 2,
                    MaxAttempts = Attempts,
                    RetryDelay = TimeSpan.FromMilliseconds(10),
                    MaxRetryDelay = TimeSpan.FromMilliseconds(50),
                    MaxInFlightPerPartition = 4,
                },
                Connector = { AckTimeout = TimeSpan.FromMinutes(1) },
            }.WithoutRateLimits(),
            services =>
            {
                services.AddSingleton<ScriptedFailures>();
                services.AddSingleton<IRequestHandler>(sp => sp.GetRequiredService<ScriptedFailures>());
            });

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
