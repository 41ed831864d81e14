namespace BrokerChat.Peers.Bare;

/// <summary>Limits of the bare WebSocket peer (configuration section <c>Bare</c>).</summary>
public sealed class BareOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Bare";

    /// <summary>Frames a connection may have waiting to be written; one more closes it as a slow consumer.</summary>
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>The largest client message accepted; a larger one closes the connection with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a closing connection may take to flush and exchange close frames before it is dropped.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
