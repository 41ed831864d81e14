using BrokerChat.Functions.Hosting.CustomHandler;
using BrokerChat.Functions.Hosting.Kafka;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Functions.Hosting;

/// <summary>
/// Log messages of the standalone functions process (<see cref="FunctionsApp"/>). Event ids 300–399 are reserved for
/// the functions; the Kafka worker's are in <see cref="Kafka.KafkaWorkerLog"/>, the custom handler's in
/// <see cref="CustomHandler.CustomHandlerLog"/>.
/// </summary>
internal static partial class FunctionsLog
{
    [LoggerMessage(390, LogLevel.Information, "Functions health endpoints listening on {Addresses}.", EventName = "HealthListening")]
    public static partial void HealthListening(ILogger logger, string addresses);
}
