using BrokerChat.Testing;
using BrokerChat.Testing.Network;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>
/// Two connectors on one Kafka, for faults of one connector's host: connector A is a process on a lab host of its own
/// (<see cref="LabConnector"/>) that reaches Kafka across that host's link (<see cref="LabKafka.StartAcrossAsync"/>);
/// connector B runs in the test's namespace with the workers, and keeps Kafka whatever happens to A's link. Both get
/// the same settings: no rate limits, acks within 1 s, beacons every second, and what the test adds.
/// </summary>
internal sealed class ConnectorPair : IAsyncDisposable
{
    private NetworkLab? _lab;
    private LabKafka? _kafka;

    /// <summary>A's lab host (cut and heal it).</summary>
    public LabHost HostA => _lab!.Hosts[0];

    /// <summary>Connector A, on <see cref="HostA"/>.</summary>
    public LabConnector A { get; private set; } = null!;

    /// <summary>Connector B, with the workers.</summary>
    public BrokerChatHost B { get; private set; } = null!;

    /// <summary>Starts the pair, with <paramref name="configure"/> applied to both connectors' settings.</summary>
    public static async Task<ConnectorPair> StartAsync(Action<HostSettings> configure, CancellationToken ct)
    {
        var pair = new ConnectorPair();
        try
        {
            pair._lab = await NetworkLab.CreateAsync(1);
            pair._kafka = await LabKafka.StartAcrossAsync(pair.HostA);
            var settings = pair._kafka.CreateHostSettings().WithoutRateLimits();
            settings.Connector.AckTimeout = TimeSpan.FromSeconds(1);
            settings["Connector:PresenceBeaconInterval"] = TimeSpan.FromSeconds(1).ToString();
            configure(settings);
            pair.B = await BrokerChatHost.StartAsync(settings);
            pair.A = await LabConnector.StartAsync(pair.HostA, settings.Clone().Apply(pair.B.JoinSettings), ct);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connects a reliable client at <paramref name="url"/> and joins it to <paramref name="rooms"/>.</summary>
    public static async Task<WebPubSubTestClient> ConnectMemberAsync(Uri url, IEnumerable<string> rooms, CancellationToken ct)
    {
        var client = await WebPubSubTestClient.ConnectUrlAsync(url, new WebPubSubTestClientOptions { Reliable = true }, ct);
        foreach (var room in rooms)
        {
            Assert.True((await client.JoinGroupAsync(room, ct))!.Success);
        }

        return client;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (A is not null)
        {
            await A.DisposeAsync();
        }

        if (B is not null)
        {
            await B.DisposeAsync();
        }

        if (_kafka is not null)
        {
            await _kafka.DisposeAsync();
        }

        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
