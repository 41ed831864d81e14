using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace BrokerChat.Connector.Endpoint;

/// <summary>
/// Connections whose WebSocket opening handshake has not arrived yet, with when they were accepted. The heartbeat
/// scan aborts the ones older than <see cref="ConnectorOptions.HandshakeTimeout"/>, so a client that connects and
/// sends nothing, or sends its request head a byte at a time, cannot hold a socket (no timer per connection).
/// </summary>
internal sealed class PendingHandshakes(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<ConnectionContext, long> _started = new(ReferenceEqualityComparer.Instance);

    public void Add(ConnectionContext connection) => _started[connection] = timeProvider.GetTimestamp();

    public void Remove(ConnectionContext connection) => _started.TryRemove(connection, out _);

    /// <summary>Aborts every handshake that started at least <paramref name="timeout"/> ago; returns how many.</summary>
    public int AbortExpired(long now, long timeout)
    {
        var aborted = 0;
        foreach (var (connection, started) in _started)
        {
            if (now - started >= timeout && _started.TryRemove(connection, out _))
            {
                connection.Abort(new ConnectionAbortedException("The WebSocket handshake did not arrive in time."));
                aborted++;
            }
        }

        return aborted;
    }
}
