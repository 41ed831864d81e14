using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector;

/// <summary>This connector's id (<see cref="ConnectorOptions.Id"/>, or random per start) and connection id minting.</summary>
internal sealed class ConnectorIdentity(IOptions<ConnectorOptions> options)
{
    public string Id { get; } = options.Value.Id ?? "c" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>A new connection id: 128 random bits, URL-safe.</summary>
    public static string NewConnectionId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return System.Buffers.Text.Base64Url.EncodeToString(bytes);
    }
}
