using BrokerChat.Functions.Hubs;
using BrokerChat.Testing;
using ChatBot;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.Examples.Tests;

/// <summary>A hub whose invocation always throws, counting its tries.</summary>
[Hub(FlakyHub.Name)]
public sealed class FlakyHub : BrokerChatHub
{
    public const string Name = "flaky";
    private static int s_tries;

    public static int Tries => Volatile.Read(ref s_tries);

    [Invocation("explode")]
    public static string Explode()
    {
        Interlocked.Increment(ref s_tries);
        throw new InvalidOperationException("The downstream service is down.");
    }
}

/// <summary>The whole chat in this process (Kafka, connector, two workers) running the example bot, and <see cref="FlakyHub"/>.</summary>
public sealed class ChatBotPipelineFixture : IAsyncLifetime
{
    /// <summary>Tries of a failing request before it is set aside.</summary>
    public const int MaxAttempts = 3;

    public BrokerChatHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Host = await BrokerChatHost.StartAsync(
            new HostSettings { Functions = { MaxAttempts = MaxAttempts, RetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(20) } }.WithoutRateLimits(),
            services => services.AddBrokerChatHub<BotHub>().AddBrokerChatHub<FlakyHub>());

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
