using BrokerChat.Functions.Hosting.CustomHandler;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BrokerChat.Functions.Hosting;

/// <summary>
/// Runs the functions the way the environment asks, with the application's services in each: a custom handler
/// when the Azure Functions host starts the process (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c>) or with
/// <c>--Functions:Host=CustomHandler</c> (<see cref="CustomHandlerApp"/>), Kafka workers otherwise
/// (<see cref="FunctionsApp"/>). An application's functions process is one call:
/// <c>await FunctionsHost.RunAsync(args, services => services.AddBrokerChatHub&lt;MyHub&gt;());</c>
/// </summary>
public static class FunctionsHost
{
    /// <summary>Builds and runs the host until it is stopped.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="configureServices">The application's hubs and services; runs after the defaults in every host.</param>
    public static async Task RunAsync(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var mode = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        if (CustomHandlerApp.IsRequested(mode))
        {
            await using var handler = CustomHandlerApp.Build(args, configureServices);
            await handler.RunAsync().ConfigureAwait(false);
            return;
        }

        using var host = FunctionsApp.Build(args, configureServices);
        await host.RunAsync().ConfigureAwait(false);
    }
}
