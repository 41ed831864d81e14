using System.Diagnostics;

namespace BrokerChat.Connector;

/// <summary>
/// The connector's traces, on the activity source <c>BrokerChat.Connector</c>: <c>brokerchat.inbound publish</c>
/// (producer: a client request handed to Kafka; each request starts a trace of its own) and
/// <c>brokerchat.outbound deliver</c> (consumer: a delivery read back and fanned out, child of the function's span).
/// </summary>
public static class ConnectorTelemetry
{
    /// <summary>The activity source name.</summary>
    public const string SourceName = "BrokerChat.Connector";

    internal static readonly ActivitySource Source = new(SourceName);
}
