using System.Diagnostics;

namespace BrokerChat.Functions;

/// <summary>
/// The functions' traces, on the activity source <c>BrokerChat.Functions</c>: <c>brokerchat.inbound process</c>
/// (consumer: one request handled, child of the connector's publish span; its deliveries carry this span's context).
/// </summary>
public static class FunctionsTelemetry
{
    /// <summary>The activity source name.</summary>
    public const string SourceName = "BrokerChat.Functions";

    internal static readonly ActivitySource Source = new(SourceName);
}
