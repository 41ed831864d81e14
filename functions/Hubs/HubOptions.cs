using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Functions.Hubs;

/// <summary>Settings of the application's hub handlers, bound from <c>Functions:Handlers</c> and validated at startup.</summary>
public sealed class HubOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Functions:Handlers";

    /// <summary>
    /// How long an invocation handler may run before its token is cancelled and the caller is answered with a
    /// <c>Timeout</c> error. Default 30 s (the connector gives up on an invocation after <c>Connector:InvokeTimeout</c>, 60 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan InvocationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most actions one handler may take for one request (sends, group changes, closes). Default 1000.</summary>
    [Range(1, 100_000)]
    public int MaxActionsPerRequest { get; set; } = 1000;
}
