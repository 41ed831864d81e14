using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Connections;
using MessagePack;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Sessions;

/// <summary>
/// What a reconnection token says about a reliable session at the point of the client's stream where the token was
/// sent: who it is, what it may do, which groups it is in, the sequence id of the last message before the token, and
/// where the delivery stood in the outbound topic (<see cref="Cursor"/>: per partition, the first offset not yet
/// considered for this session), the groups whose joins and leaves it is told about, the groups revoked from an
/// every-group role by the REST API (<see cref="ConnectionPermissions.Revoked"/>; the roles are the ones with its
/// grants applied), and the connection's state as its hub's event handler had set it when the token was made.
/// <see cref="NextPartition"/> is the only partition the messages after the token may
/// come from until the next token (-1: none came yet), which is what makes a resume on another connector exact: the
/// messages the client got after its token are the first ones of that partition's replay.
/// </summary>
internal sealed record ReconnectionState(
    string ConnectionId,
    string Hub,
    string? UserId,
    string[] Roles,
    string[]? Groups,
    string Protocol,
    ulong LastSequenceId,
    int NextPartition,
    long[]? Cursor,
    long ExpiresAt,
    string[]? PresenceGroups = null,
    string[]? Revoked = null,
    string? ConnectionState = null)
{
    /// <summary>Whether the token carries what another connector needs to resume the session (not only this one).</summary>
    public bool IsPortable => Groups is not null && Cursor is not null;
}

/// <summary>
/// Makes and checks reconnection tokens: a MessagePack <see cref="ReconnectionState"/>, base64url, a dot and an
/// HMAC-SHA256 of it with a key derived from the hub access key, so any connector configured with the same keys can
/// verify it and rotation works as for access tokens. A token too large for a URL (a client in very many groups) is
/// made without groups and positions: it then resumes the session only on the connector that holds it.
/// </summary>
internal sealed class ReconnectionTokens
{
    /// <summary>Longest token handed out with groups and positions; a larger one loses them.</summary>
    public const int MaxPortableLength = 6 * 1024;

    private const int Version = 1;
    private const int MaxTokenLength = 16 * 1024;
    private static readonly byte[] s_purpose = "BrokerChat reconnection token v1"u8.ToArray();
    private static readonly MessagePackSecurity s_security = MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(4);
    private readonly byte[][] _keys;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lifetime;

    public ReconnectionTokens(AccessTokenService accessTokens, IOptions<ConnectorOptions> options, TimeProvider clock)
    {
        _keys = accessTokens.Keys.Select(key => HMACSHA256.HashData(key, s_purpose)).ToArray();
        _clock = clock;
        _lifetime = options.Value.ReconnectionTokenLifetime;
    }

    /// <summary>The expiry of a token made now, Unix seconds.</summary>
    public long ExpiresAt => _clock.GetUtcNow().Add(_lifetime).ToUnixTimeSeconds();

    /// <summary>Makes the token for <paramref name="state"/>.</summary>
    public string Create(ReconnectionState state)
    {
        var token = Encode(state);
        // Too large to carry: the session resumes only where it is held, which keeps its state on the connection.
        return token.Length <= MaxPortableLength || !state.IsPortable ? token : Encode(state with { Groups = null, Cursor = null, PresenceGroups = null, ConnectionState = null });
    }

    /// <summary>Reads a token for <paramref name="connectionId"/>; null, with a reason, when it is forged, expired, malformed or another connection's.</summary>
    public ReconnectionState? Read(string? token, string connectionId, out string? failure)
    {
        failure = null;
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            failure = "The reconnection token is missing or too long.";
            return null;
        }

        var dot = token.IndexOf('.', StringComparison.Ordinal);
        try
        {
            if (dot < 0)
            {
                throw new FormatException();
            }

            var payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            var signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
            if (!_keys.Any(key => CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, payload), signature)))
            {
                failure = "The reconnection token's signature is invalid.";
                return null;
            }

            var state = Decode(payload);
            if (!string.Equals(state.ConnectionId, connectionId, StringComparison.Ordinal))
            {
                failure = "The reconnection token belongs to another connection.";
                return null;
            }

            if (state.ExpiresAt < _clock.GetUtcNow().ToUnixTimeSeconds())
            {
                failure = "The reconnection token has expired.";
                return null;
            }

            return state;
        }
        catch (Exception ex) when (ex is FormatException or MessagePackSerializationException or EndOfStreamException or OverflowException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            failure = "The reconnection token is malformed.";
            return null;
        }
    }

    private string Encode(ReconnectionState state)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(14);
        writer.Write(Version);
        writer.Write(state.ConnectionId);
        writer.Write(state.Hub);
        writer.Write(state.UserId);
        WriteStrings(ref writer, state.Roles);
        WriteStrings(ref writer, state.Groups);
        writer.Write(state.Protocol);
        writer.Write(state.LastSequenceId);
        writer.Write(state.NextPartition);
        if (state.Cursor is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.WriteArrayHeader(state.Cursor.Length);
            foreach (var offset in state.Cursor)
            {
                writer.Write(offset);
            }
        }

        writer.Write(state.ExpiresAt);
        WriteStrings(ref writer, state.PresenceGroups);
        WriteStrings(ref writer, state.Revoked);
        writer.Write(state.ConnectionState);
        writer.Flush();
        var payload = buffer.WrittenSpan;
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(_keys[0], payload));
    }

    private static ReconnectionState Decode(byte[] payload)
    {
        var reader = new MessagePackReader(payload);
        var count = reader.ReadArrayHeader();
        if (count < 11 || reader.ReadInt32() != Version)
        {
            throw new FormatException();
        }

        var connectionId = reader.ReadString() ?? throw new FormatException();
        var hub = reader.ReadString() ?? throw new FormatException();
        var userId = reader.ReadString();
        var roles = ReadStrings(ref reader) ?? [];
        var groups = ReadStrings(ref reader);
        var protocol = reader.ReadString() ?? throw new FormatException();
        var lastSequenceId = reader.ReadUInt64();
        var nextPartition = reader.ReadInt32();
        long[]? cursor = null;
        if (!reader.TryReadNil())
        {
            var partitions = reader.ReadArrayHeader();
            if (partitions > 100_000)
            {
                throw new FormatException();
            }

            cursor = new long[partitions];
            for (var i = 0; i < partitions; i++)
            {
                cursor[i] = reader.ReadInt64();
            }
        }

        var expiresAt = reader.ReadInt64();
        var presenceGroups = count >= 12 ? ReadStrings(ref reader) : null; // tokens made before presence have 11 items
        var revoked = count >= 13 ? ReadStrings(ref reader) : null; // and those made before permission grants 12
        var connectionState = count >= 14 ? reader.ReadString() : null; // and those made before event handlers 13
        return new ReconnectionState(connectionId, hub, userId, roles, groups, protocol, lastSequenceId, nextPartition, cursor, expiresAt, presenceGroups, revoked, connectionState);
    }

    private static void WriteStrings(ref MessagePackWriter writer, string[]? values)
    {
        if (values is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(values.Length);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    private static string[]? ReadStrings(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var count = reader.ReadArrayHeader();
        var values = new string[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = reader.ReadString() ?? throw new FormatException();
        }

        return values;
    }
}
