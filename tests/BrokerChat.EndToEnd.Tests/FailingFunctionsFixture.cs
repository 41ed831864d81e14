using System.Globalization;
using System.Text.Json.Nodes;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Chat;
using BrokerChat.Kafka;
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
            BrokerChatHost.WithoutRateLimits(new Dictionary<string, string>
            {
                ["Functions:InProcessWorkers"] = "2",
                ["Functions:MaxAttempts"] = Attempts.ToString(CultureInfo.InvariantCulture),
                ["Functions:RetryDelay"] = "00:00:00.010",
                ["Functions:MaxRetryDelay"] = "00:00:00.050",
                ["Functions:MaxInFlightPerPartition"] = "4",
                ["Connector:AckTimeout"] = "00:01:00",
            }),
            services =>
            {
                services.AddSingleton<ScriptedFailures>();
                services.AddSingleton<IRequestHandler>(sp => sp.GetRequiredService<ScriptedFailures>());
            });

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
