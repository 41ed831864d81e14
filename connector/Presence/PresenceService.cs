using BrokerChat.Connector.History;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Presence;

/// <summary>
/// Keeps presence going: once the outbound topic is being read it asks every connector for a snapshot of its members
/// (so a new connector learns who is already there) and publishes its own, and then, on one timer for the process, it sends a beacon every
/// <see cref="ConnectorOptions.PresenceBeaconInterval"/>, removes the members of connectors whose beacons stopped, and
/// publishes this connector's snapshot when another connector asked for it or one of its presence records was lost.
/// The timer runs at the beacon interval, but at least every second, so a dead connector's members are gone at most
/// its expiry plus one second after its last beacon arrived.
/// </summary>
internal sealed class PresenceService(
    PresenceFeed feed,
    PresenceTracker tracker,
    OutboundState outbound,
    IOptions<ConnectorOptions> options,
    TimeProvider clock,
    ILogger<PresenceService> logger) : BackgroundService
{
    private readonly TimeSpan _beaconInterval = options.Value.PresenceBeaconInterval;
    private long _lastBeacon;

    /// <summary>How often the timer runs.</summary>
    public TimeSpan TickInterval => _beaconInterval < TimeSpan.FromSeconds(1) ? _beaconInterval : TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await outbound.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
            Beacon();
            tracker.PublishSyncRequest(null);
            // Its own snapshot too: it clears whatever the others still hold under this connector's id (a restart with a
            // configured Connector:Id), and brings back any member that joined before the outbound topic was being read.
            tracker.PublishSnapshot();
            using var timer = new PeriodicTimer(TickInterval, clock);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Tick();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: no farewell. Reliable sessions closed for the shutdown stay members until they resume elsewhere
            // or this connector's last beacon expires.
        }
    }

    /// <summary>One round; separate so tests can drive it.</summary>
    internal void Tick()
    {
        if (clock.GetElapsedTime(_lastBeacon) >= _beaconInterval)
        {
            Beacon();
        }

        List<string>? expired;
        bool snapshot;
        string[] resync;
        lock (outbound.Gate)
        {
            expired = feed.Sweep();
            snapshot = feed.Table.TakeSnapshotRequest();
            resync = feed.Table.TakeResyncTargets();
        }

        if (expired is not null)
        {
            PresenceLog.ConnectorsExpired(logger, string.Join(", ", expired));
        }

        if (tracker.TakeResyncNeeded() || snapshot)
        {
            tracker.PublishSnapshot();
        }

        foreach (var target in resync)
        {
            PresenceLog.ConnectorReturned(logger, target);
            tracker.PublishSyncRequest(target);
        }
    }

    private void Beacon()
    {
        _lastBeacon = clock.GetTimestamp();
        tracker.PublishBeacon();
    }
}
