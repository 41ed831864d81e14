using System.Net;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Connections;

/// <summary>
/// Counts connections per process, per user and per client address, and refuses one that would exceed
/// <see cref="ConnectorOptions.MaxConnections"/>, <see cref="ConnectorOptions.MaxConnectionsPerUser"/> or
/// <see cref="ConnectorOptions.MaxConnectionsPerAddress"/>. A granted slot is a lease given back when the connection ends.
/// </summary>
internal sealed class ConnectionLimiter(IOptions<ConnectorOptions> options)
{
    private readonly ConnectorOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private int _total;

    /// <summary>What refused a connection.</summary>
    public enum Refusal
    {
        None,
        MaxConnections,
        MaxPerUser,
        MaxPerAddress,
    }

    public int Total
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>Entries still tracked per user and per address (for leak checks).</summary>
    public int TrackedKeys
    {
        get
        {
            lock (_gate)
            {
                return _perUser.Count + _perAddress.Count;
            }
        }
    }

    public Refusal TryAcquire(string? userId, IPAddress? address)
    {
        lock (_gate)
        {
            if (_total >= _options.MaxConnections)
            {
                return Refusal.MaxConnections;
            }

            if (userId is not null && _perUser.GetValueOrDefault(userId) >= _options.MaxConnectionsPerUser)
            {
                return Refusal.MaxPerUser;
            }

            if (address is not null && _perAddress.GetValueOrDefault(address) >= _options.MaxConnectionsPerAddress)
            {
                return Refusal.MaxPerAddress;
            }

            _total++;
            if (userId is not null)
            {
                _perUser[userId] = _perUser.GetValueOrDefault(userId) + 1;
            }

            if (address is not null)
            {
                _perAddress[address] = _perAddress.GetValueOrDefault(address) + 1;
            }

            return Refusal.None;
        }
    }

    /// <summary>
    /// Moves a granted slot from <paramref name="from"/> to <paramref name="to"/> (a <c>connect</c> handler gave the
    /// connection another user id); false, with the slot left where it was, when <paramref name="to"/> is at its bound.
    /// </summary>
    public bool TryMoveUser(string? from, string? to)
    {
        if (string.Equals(from, to, StringComparison.Ordinal))
        {
            return true;
        }

        lock (_gate)
        {
            if (to is not null && _perUser.GetValueOrDefault(to) >= _options.MaxConnectionsPerUser)
            {
                return false;
            }

            if (from is not null && --_perUser[from] == 0)
            {
                _perUser.Remove(from);
            }

            if (to is not null)
            {
                _perUser[to] = _perUser.GetValueOrDefault(to) + 1;
            }

            return true;
        }
    }

    public void Release(string? userId, IPAddress? address)
    {
        lock (_gate)
        {
            _total--;
            if (userId is not null && --_perUser[userId] == 0)
            {
                _perUser.Remove(userId);
            }

            if (address is not null && --_perAddress[address] == 0)
            {
                _perAddress.Remove(address);
            }
        }
    }
}
