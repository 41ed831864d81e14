using BrokerChat.Contracts.Topics;

namespace BrokerChat.Kafka;

/// <summary>
/// Where the cluster is, once known: the configured bootstrap servers, or the embedded cluster's address after
/// <see cref="KafkaClusterHost"/> started it. Clients are created from it only after the host has started.
/// </summary>
public sealed class KafkaEndpoint
{
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the endpoint for a topic prefix.</summary>
    public KafkaEndpoint(KafkaTopics topics) => Topics = topics;

    /// <summary>The topic names.</summary>
    public KafkaTopics Topics { get; }

    /// <summary>The bootstrap servers; throws until the cluster host has started.</summary>
    public string BootstrapServers => _ready.Task.IsCompletedSuccessfully
        ? _ready.Task.Result
        : throw new InvalidOperationException("The Kafka cluster host has not started yet.");

    /// <summary>Completes when the bootstrap servers are known and the topics exist.</summary>
    public Task<string> Ready => _ready.Task;

    /// <summary>The local (embedded) cluster, when this process hosts one.</summary>
    public ILocalKafkaCluster? Embedded { get; private set; }

    internal void SetReady(string bootstrapServers, ILocalKafkaCluster? embedded)
    {
        Embedded = embedded;
        _ready.TrySetResult(bootstrapServers);
    }
}
