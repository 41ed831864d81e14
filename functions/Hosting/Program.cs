namespace BrokerChat.Functions.Hosting;

/// <summary>
/// The standalone worker: <c>dotnet run --project functions -- --Kafka:BootstrapServers=&lt;list&gt;</c>. It runs
/// <c>Functions:InProcessWorkers</c> consumer group members (default 1) against that cluster. Started by the Azure
/// Functions host (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set) or with <c>--Functions:Host=CustomHandler</c>, it is a
/// custom handler instead (<see cref="CustomHandler.CustomHandlerApp"/>). With <c>Functions:HealthUrls</c> set it also
/// serves <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c> and the hubs' connect endpoint (<see cref="FunctionsApp"/>).
/// An application's own functions process does the same with its hubs (<see cref="FunctionsHost"/>).
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static Task Main(string[] args) => FunctionsHost.RunAsync(args);
}
