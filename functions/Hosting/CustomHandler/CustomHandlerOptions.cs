using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Functions.Hosting.CustomHandler;

/// <summary>Settings of the Azure Functions custom handler mode, bound from <c>Functions:CustomHandler</c>.</summary>
public sealed class CustomHandlerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Functions:CustomHandler";

    /// <summary>
    /// The loopback port to listen on. The default is the port the Functions host gives its handler in
    /// <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> (or the older <c>FUNCTIONS_HTTPWORKER_PORT</c>); 0 takes a free port.
    /// </summary>
    [Range(0, 65535)]
    public int? Port { get; set; }

    /// <summary>
    /// Largest invocation body accepted, in bytes. The default is 100 MiB (104,857,600): a batch of the Kafka
    /// trigger's default 64 records of up to 1 MiB each, base64-encoded, with room to spare.
    /// </summary>
    [Range(64 * 1024, 1024 * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = 100 * 1024 * 1024;
}
