using Microsoft.Extensions.Options;

namespace BrokerChat.Connector;

/// <summary>
/// Whether this connector still reaches Kafka, judged by its own beacons (<see cref="ConnectorOptions.PresenceBeaconInterval"/>):
/// each one Kafka confirms, and each one read back from the outbound topic, is a sign of life. Silence for
/// <see cref="ConnectorOptions.KafkaLossTimeout"/>, with at least two beacons sent and unanswered meanwhile, means the
/// link is lost. Either sign alone keeps it: a connector whose reads lag under load still gets its produces confirmed,
/// so only a real cut (or a dead cluster) counts.
/// </summary>
internal sealed class KafkaLink(IOptions<ConnectorOptions> options, TimeProvider clock)
{
    private readonly TimeSpan _timeout = options.Value.KafkaLossTimeout;
    private long _lastHeard = clock.GetTimestamp();
    private int _unanswered;
    private int _lost;

    /// <summary>What <see cref="Update"/> found.</summary>
    public enum Change
    {
        /// <summary>As before.</summary>
        None,

        /// <summary>The link was lost just now.</summary>
        Lost,

        /// <summary>The link is back.</summary>
        Restored,
    }

    /// <summary>True while the link counts as lost.</summary>
    public bool IsLost => Volatile.Read(ref _lost) != 0;

    /// <summary>How long Kafka has been silent.</summary>
    public TimeSpan Silence => clock.GetElapsedTime(Volatile.Read(ref _lastHeard));

    /// <summary>Kafka confirmed one of this connector's beacons, or it was read back.</summary>
    public void Heard()
    {
        Volatile.Write(ref _lastHeard, clock.GetTimestamp());
        Volatile.Write(ref _unanswered, 0);
    }

    /// <summary>A beacon was handed to Kafka.</summary>
    public void BeaconSent() => Interlocked.Increment(ref _unanswered);

    /// <summary>Re-judges the link (the heartbeat calls this every scan) and says whether that changed it.</summary>
    public Change Update()
    {
        var lost = _timeout > TimeSpan.Zero && Silence >= _timeout && Volatile.Read(ref _unanswered) >= 2;
        var was = Interlocked.Exchange(ref _lost, lost ? 1 : 0) != 0;
        return lost == was ? Change.None : lost ? Change.Lost : Change.Restored;
    }
}
