using Microsoft.Extensions.Logging;

namespace BrokerChat.Functions.Hosting.CustomHandler;

/// <summary>Log messages of the custom handler. Event ids 380–399 (within the functions' 300–399) are reserved for it.</summary>
internal static partial class CustomHandlerLog
{
    [LoggerMessage(380, LogLevel.Information, "Azure Functions custom handler listening on {Address} for functions [{Functions}].", EventName = "CustomHandlerStarted")]
    public static partial void Started(ILogger logger, string address, string functions);

    [LoggerMessage(381, LogLevel.Warning, "Invocation {InvocationId} record {Partition}@{Offset} is not a valid request and was skipped: {Reason}", EventName = "CustomHandlerPoisonRecord")]
    public static partial void PoisonRecord(ILogger logger, string? invocationId, int partition, long offset, string reason);

    [LoggerMessage(382, LogLevel.Error, "Invocation {InvocationId} of {Function} could not be read and failed: {Reason}", EventName = "CustomHandlerInvalidInvocation")]
    public static partial void InvalidInvocation(ILogger logger, string? invocationId, string function, string reason);

    [LoggerMessage(383, LogLevel.Debug, "Invocation {InvocationId}: {Records} records in, {Deliveries} deliveries out.", EventName = "CustomHandlerInvoked")]
    public static partial void Invoked(ILogger logger, string? invocationId, int records, int deliveries);
}
