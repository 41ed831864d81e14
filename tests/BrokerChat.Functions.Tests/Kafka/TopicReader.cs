using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using Confluent.Kafka;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>One record a <see cref="TopicReader"/> read, with the delivery it holds when it is one.</summary>
internal sealed record ReadRecord(int Partition, long Offset, byte[] Key, Headers Headers, Delivery? Delivery)
{
    /// <summary>The delivery's payload as text, or null.</summary>
    public string? Text => Delivery?.Payload is { } payload ? System.Text.Encoding.UTF8.GetString(payload) : null;

    /// <summary>A header's value as text, or null.</summary>
    public string? Header(string name) =>
        Headers.TryGetLastBytes(name, out var value) ? System.Text.Encoding.UTF8.GetString(value) : null;
}

/// <summary>Reads every partition of a topic from the beginning on a thread of its own, keeping what it read.</summary>
internal sealed class TopicReader : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ReadRecord> _records = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly IConsumer<byte[], byte[]> _consumer;

    public TopicReader(string bootstrapServers, string topic, int partitions)
    {
        _consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"reader-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 10,
        }).Build();
        _consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        _thread = new Thread(Run) { IsBackground = true, Name = $"reader {topic}" };
        _thread.Start();
    }

    /// <summary>What was read so far, each partition in offset order.</summary>
    public IReadOnlyList<ReadRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return _records.ToArray();
            }
        }
    }

    /// <summary>Waits until what was read satisfies <paramref name="done"/>; fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<ReadRecord>> WaitForAsync(Func<IReadOnlyList<ReadRecord>, bool> done, TimeSpan timeout, string what, CancellationToken ct)
    {
        IReadOnlyList<ReadRecord> records = [];
        await Eventually.HoldsAsync(() => done(records = Records), timeout, what, ct);
        return records;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _consumer.Close();
        _consumer.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            var result = _consumer.Consume(TimeSpan.FromMilliseconds(50));
            if (result?.Message is not { } message)
            {
                continue;
            }

            Delivery? delivery = null;
            try
            {
                delivery = ContractSerializer.DeserializeDelivery(message.Value);
            }
            catch (ContractException)
            {
                // Not a delivery (a dead letter holds the inbound record).
            }

            lock (_gate)
            {
                _records.Add(new ReadRecord(result.Partition.Value, result.Offset.Value, message.Key, message.Headers ?? [], delivery));
            }
        }
    }
}
