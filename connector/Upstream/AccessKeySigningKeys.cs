using BrokerChat.Connector.Auth;
using BrokerChat.EventHandlers;

namespace BrokerChat.Connector.Upstream;

/// <summary>
/// The connector's access keys as the keys event-handler requests are signed with: the same ones its tokens are
/// checked with, read live, so a key rotation (<c>Auth:</c> reloaded) signs the next request with the new keys.
/// </summary>
internal sealed class AccessKeySigningKeys(AccessTokenService tokens) : IEventSigningKeys
{
    public IReadOnlyList<byte[]> Keys => tokens.Keys;
}
