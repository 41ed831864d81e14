using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Connector.Rest;

/// <summary>The Web PubSub compatible REST API (<c>/api/hubs/{hub}/...</c>), bound from the <c>Rest</c> configuration section.</summary>
public sealed class RestOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Rest";

    /// <summary>Whether the REST API is served. The default is true; requests must carry a token signed with an access key either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Largest request body accepted (a message to send), in bytes; a larger one gets 413. The default is 1 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long a connection or user existence check, or a permission call, waits for the other connectors' answers
    /// before it takes the connection for absent. The default is 2 s.
    /// </summary>
    public TimeSpan ExistenceTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Existence checks and permission calls waiting for answers at once; more get 503. The default is 1,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxPendingExistenceChecks { get; set; } = 1000;

    /// <summary>Connection ids one request may exclude (<c>excluded</c>). The default is 1,000.</summary>
    [Range(1, 100_000)]
    public int MaxExcluded { get; set; } = 1000;
}
