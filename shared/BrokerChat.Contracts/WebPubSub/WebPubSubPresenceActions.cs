namespace BrokerChat.Contracts.WebPubSub;

/// <summary>
/// The values of the <c>action</c> field (<see cref="WebPubSubFields.Action"/>) of a
/// <see cref="WebPubSubSystemEvents.Presence"/> system message (a BrokerChat extension).
/// </summary>
public static class WebPubSubPresenceActions
{
    /// <summary><c>join</c>: the member joined the group.</summary>
    public const string Join = "join";

    /// <summary><see cref="Join"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> JoinUtf8 => "join"u8;

    /// <summary><c>leave</c>: the member left the group, or its connection ended.</summary>
    public const string Leave = "leave";

    /// <summary><see cref="Leave"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> LeaveUtf8 => "leave"u8;
}
