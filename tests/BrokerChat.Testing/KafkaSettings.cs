using BrokerChat.Kafka;

namespace BrokerChat.Testing;

/// <summary>The Kafka in <see cref="HostSettings"/>: the keys of <see cref="KafkaOptions"/>.</summary>
public sealed class KafkaSettings : HostSettingsSection
{
    internal KafkaSettings(HostSettings settings)
        : base(settings, KafkaOptions.SectionName)
    {
    }

    /// <summary>The cluster to use; unset (or empty) for the embedded one.</summary>
    public string? BootstrapServers
    {
        get => GetText(nameof(KafkaOptions.BootstrapServers));
        set => SetText(nameof(KafkaOptions.BootstrapServers), value);
    }

    /// <summary>The prefix of the host's topic names.</summary>
    public string? TopicPrefix
    {
        get => GetText(nameof(KafkaOptions.TopicPrefix));
        set => SetText(nameof(KafkaOptions.TopicPrefix), value);
    }

    /// <summary>Partitions of the topics the host creates.</summary>
    public int? Partitions
    {
        get => Get<int>(nameof(KafkaOptions.Partitions));
        set => Set(nameof(KafkaOptions.Partitions), value);
    }

    /// <summary>Records the embedded cluster keeps per partition.</summary>
    public int? EmbeddedRetainedRecords
    {
        get => Get<int>(nameof(KafkaOptions.EmbeddedRetainedRecords));
        set => Set(nameof(KafkaOptions.EmbeddedRetainedRecords), value);
    }

    /// <summary>The most records the embedded cluster keeps per partition for a reader that lags.</summary>
    public int? EmbeddedRetentionMaxRecords
    {
        get => Get<int>(nameof(KafkaOptions.EmbeddedRetentionMaxRecords));
        set => Set(nameof(KafkaOptions.EmbeddedRetentionMaxRecords), value);
    }

    /// <summary>How long a fetch waits for records, in milliseconds.</summary>
    public int? FetchWaitMaxMs
    {
        get => Get<int>(nameof(KafkaOptions.FetchWaitMaxMs));
        set => Set(nameof(KafkaOptions.FetchWaitMaxMs), value);
    }
}
