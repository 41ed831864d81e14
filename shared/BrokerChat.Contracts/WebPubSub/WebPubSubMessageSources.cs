namespace BrokerChat.Contracts.WebPubSub;

/// <summary>
/// The values of the <c>from</c> field (<see cref="WebPubSubFields.From"/>) of a <see cref="WebPubSubMessageTypes.Message"/>.
/// </summary>
public static class WebPubSubMessageSources
{
    /// <summary><c>group</c>: sent to a group the connection is in, named by the message's <c>group</c> (with its sender's <c>fromUserId</c>).</summary>
    public const string Group = "group";

    /// <summary><see cref="Group"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> GroupUtf8 => "group"u8;

    /// <summary><c>server</c>: sent by the server side to the connection, its user or its whole hub.</summary>
    public const string Server = "server";

    /// <summary><see cref="Server"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> ServerUtf8 => "server"u8;
}
