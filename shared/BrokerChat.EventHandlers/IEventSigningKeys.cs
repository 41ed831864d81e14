namespace BrokerChat.EventHandlers;

/// <summary>
/// The access keys events are signed with (<c>ce-signature</c>: one <c>sha256=</c> HMAC of the connection id per key, so
/// a handler that knows either key of a rotation accepts them). The connector supplies its own; elsewhere they are the
/// configured <c>Auth:AccessKeys</c>.
/// </summary>
public interface IEventSigningKeys
{
    /// <summary>The keys, as UTF-8 bytes of the access keys.</summary>
    IReadOnlyList<byte[]> Keys { get; }
}
