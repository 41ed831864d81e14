using BrokerChat.Functions.Hosting.CustomHandler;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace BrokerChat.Functions.Hosting;

/// <summary>
/// The standalone worker: <c>dotnet run --project functions -- --Kafka:BootstrapServers=&lt;list&gt;</c>. It runs
/// <c>Functions:InProcessWorkers</c> consumer group members (default 1) against that cluster. Started by the Azure
/// Functions host (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set) or with <c>--Functions:Host=CustomHandler</c>, it is a
/// custom handler instead (<see cref="CustomHandlerApp"/>). With <c>Functions:HealthUrls</c> set it also serves
/// <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> (<see cref="FunctionsApp"/>).
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

        using var host = FunctionsApp.Build(args);
        await host.RunAsync().ConfigureAwait(false);
    }
}
