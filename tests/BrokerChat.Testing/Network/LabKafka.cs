using System.Globalization;
using System.Net;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka.Embedded;
using Confluent.Kafka;

namespace BrokerChat.Testing.Network;

/// <summary>
/// An embedded Kafka cluster that lives on a lab host: the test's hosts reach its brokers only at
/// <see cref="LabHost.Address"/>, over the host's link, so <see cref="LabHost.CutAsync"/> cuts everyone off from
/// Kafka (packets vanish, nobody gets a reset) and <see cref="LabHost.HealAsync"/> gives it back.
/// </summary>
/// <remarks>
/// The embedded brokers listen on 127.0.0.1 of the test's own namespace only. So each broker gets a forwarder whose
/// listening socket is made inside the lab host (a socket stays in the namespace it was made in) on
/// <c>Address:port</c>, the broker's own port, and whose connections to the broker are made in the test's namespace;
/// the brokers advertise <c>Address:port</c>, so clients that bootstrap from <see cref="BootstrapServers"/> never
/// learn the loopback addresses. (The mock's own call for that, <c>rd_kafka_mock_broker_set_host_port</c>, changes
/// only what Metadata says; see <see cref="EmbeddedKafkaCluster.AdvertiseBroker"/>.) Dispose it after every host
/// using it.
/// </remarks>
public sealed class LabKafka : IAsyncDisposable
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    private readonly List<TcpForwarder> _forwarders = [];

    private LabKafka(LabHost host, EmbeddedKafkaCluster cluster)
    {
        Host = host;
        Cluster = cluster;
    }

    /// <summary>The lab host Kafka lives on.</summary>
    public LabHost Host { get; }

    /// <summary>The cluster itself (for its fault calls); its own bootstrap list is loopback, which hosts must not use.</summary>
    public EmbeddedKafkaCluster Cluster { get; }

    /// <summary>The brokers at the lab host's address, for <c>Kafka:BootstrapServers</c>.</summary>
    public string BootstrapServers { get; private set; } = "";

    /// <summary>
    /// Starts a cluster of <paramref name="brokers"/> brokers on <paramref name="host"/>, and checks that Metadata read
    /// through the host names every broker at the host's address and the broker's own port.
    /// </summary>
    public static async Task<LabKafka> StartAsync(LabHost host, int brokers = 3)
    {
        ArgumentNullException.ThrowIfNull(host);
        var kafka = new LabKafka(host, new EmbeddedKafkaCluster(brokers));
        try
        {
            // Which port is which broker's, as the cluster itself advertises them before they are moved.
            var ports = await Task.Run(() => ReadBrokers(kafka.Cluster.BootstrapServers)).WaitAsync(MetadataTimeout * 2).ConfigureAwait(false);
            if (!ports.Keys.Order().SequenceEqual(Enumerable.Range(1, brokers)))
            {
                throw new InvalidOperationException($"The embedded cluster lists brokers {string.Join(", ", ports.Keys)}, not 1..{brokers}.");
            }

            foreach (var (id, (_, port)) in ports)
            {
                var listener = TcpForwarder.Listen(host.CreateSocket(), new IPEndPoint(host.Address, port));
                kafka._forwarders.Add(new TcpForwarder(listener, new Uri($"tcp://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}")));
                kafka.Cluster.AdvertiseBroker(id, host.Address.ToString(), port);
            }

            var expected = ports.ToDictionary(p => p.Key, p => (Host: host.Address.ToString(), p.Value.Port));
            kafka.BootstrapServers = string.Join(',', expected.Values.Select(b => $"{b.Host}:{b.Port.ToString(CultureInfo.InvariantCulture)}"));
            var advertised = await Task.Run(() => ReadBrokers(kafka.BootstrapServers)).WaitAsync(MetadataTimeout * 2).ConfigureAwait(false);
            if (advertised.Count != expected.Count || advertised.Any(b => !expected.TryGetValue(b.Key, out var e) || e != b.Value))
            {
                throw new InvalidOperationException($"Through {kafka.BootstrapServers} the brokers are advertised as {Text(advertised)}, not {Text(expected)}.");
            }

            return kafka;
        }
        catch
        {
            await kafka.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates the topics of a host with a prefix of its own, and returns the settings that put a host (and any that
    /// join it) on this cluster: its bootstrap servers, the prefix, the partitions and the embedded cluster's fetch wait.
    /// </summary>
    public HostSettings CreateHostSettings(int partitions = 12)
    {
        var prefix = $"lab-{Guid.NewGuid():N}"[..16] + ".";
        foreach (var topic in new KafkaTopics(prefix).All)
        {
            Cluster.CreateTopic(topic, partitions);
        }

        // The embedded cluster answers a fetch only when its wait is over, so hosts use its short wait (KafkaOptions).
        return new HostSettings { Kafka = { BootstrapServers = BootstrapServers, TopicPrefix = prefix, Partitions = partitions, FetchWaitMaxMs = 10 } };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var forwarder in _forwarders)
        {
            await forwarder.DisposeAsync().ConfigureAwait(false);
        }

        Cluster.Dispose();
    }

    /// <summary>The brokers (id, host and port) that Metadata read through <paramref name="bootstrapServers"/> names.</summary>
    private static Dictionary<int, (string Host, int Port)> ReadBrokers(string bootstrapServers)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers })
            .SetLogHandler((_, _) => { })
            .Build();
        return admin.GetMetadata(MetadataTimeout).Brokers.ToDictionary(b => b.BrokerId, b => (b.Host, b.Port));
    }

    private static string Text(Dictionary<int, (string Host, int Port)> brokers) =>
        string.Join(", ", brokers.OrderBy(b => b.Key).Select(b => $"{b.Key}={b.Value.Host}:{b.Value.Port}"));
}
