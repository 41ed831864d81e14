namespace BrokerChat.Contracts.WebPubSub;

/// <summary>
/// The values of the <c>target</c> field (<see cref="WebPubSubFields.Target"/>) of an
/// <see cref="WebPubSubMessageTypes.Invoke"/> request: what kind of thing is invoked.
/// </summary>
public static class WebPubSubInvokeTargets
{
    /// <summary><c>event</c>: the user event named by the request's <c>event</c> field (<c>invokeEvent</c> in the JavaScript client).</summary>
    public const string Event = "event";

    /// <summary><see cref="Event"/> as UTF-8.</summary>
    public static ReadOnlySpan<byte> EventUtf8 => "event"u8;
}
