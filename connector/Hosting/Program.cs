namespace BrokerChat.Connector.Hosting;

/// <summary>
/// <c>dotnet run --project connector</c>: with no <c>Kafka:BootstrapServers</c> it hosts an embedded Kafka and
/// two function workers too, so the whole chat runs in this one process (see <see cref="ConnectorApp"/>).
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task Main(string[] args)
    {
        await using var app = ConnectorApp.Build(args);
        await ConnectorApp.RunAsync(app).ConfigureAwait(false);
    }
}
