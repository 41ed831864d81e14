using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.Hosting;

/// <summary>
/// <c>dotnet run --project connector</c>: with no <c>Kafka:BootstrapServers</c> it hosts an embedded Kafka and
/// two function workers too, so the whole chat runs in this one process.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task Main(string[] args)
    {
        await using var app = ConnectorApp.Build(args);
        await app.StartAsync().ConfigureAwait(false);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("BrokerChat");
        foreach (var address in ConnectorApp.Addresses(app))
        {
            HostingLog.Running(logger, address.Replace("://[::]", "://localhost", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
                .Replace("://+", "://localhost", StringComparison.Ordinal)
                .Replace("://*", "://localhost", StringComparison.Ordinal) + "/");
        }

        await app.WaitForShutdownAsync().ConfigureAwait(false);
    }
}
