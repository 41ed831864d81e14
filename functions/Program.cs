using BrokerChat.Functions.CustomHandler;
using BrokerChat.Kafka.Tracing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace BrokerChat.Functions;

/// <summary>
/// The standalone worker: <c>dotnet run --project functions -- --Kafka:BootstrapServers=&lt;list&gt;</c>. It runs
/// <c>Functions:InProcessWorkers</c> consumer group members (default 1) against that cluster. Started by the Azure
/// Functions host (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set) or with <c>--Functions:Host=CustomHandler</c>, it is a
/// custom handler instead (<see cref="CustomHandlerApp"/>).
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task Main(string[] args)
    {
        var mode = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        if (CustomHandlerApp.IsRequested(mode))
        {
            await using var handler = CustomHandlerApp.Build(args);
            await handler.RunAsync().ConfigureAwait(false);
            return;
        }

        var builder = Host.CreateApplicationBuilder(args);
        var workers = Math.Max(1, builder.Configuration.GetValue<int?>("Functions:InProcessWorkers") ?? 1);
        builder.Services.AddBrokerChatFunctions(builder.Configuration, workers);
        builder.Services.AddBrokerChatTracing(builder.Configuration, FunctionsTelemetry.SourceName);
        using var host = builder.Build();
        await host.RunAsync().ConfigureAwait(false);
    }
}
