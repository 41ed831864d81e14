using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Kafka;
using BrokerChat.Testing;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>Reads what connectors publish to the inbound topic from the moment it is created, as an application's event handler would.</summary>
internal sealed class InboundWatcher : IDisposable
{
    private readonly IConsumer<byte[], byte[]> _consumer;

    private InboundWatcher(IConsumer<byte[], byte[]> consumer) => _consumer = consumer;

    /// <summary>Starts at the current end of every inbound partition, so only records produced from now on are seen.</summary>
    public static InboundWatcher FromNow(BrokerChatHost host)
    {
        var factory = host.Services.GetRequiredService<KafkaClientFactory>();
        var topic = factory.Topics.Inbound;
        var consumer = new ConsumerBuilder<byte[], byte[]>(factory.ConsumerConfig("inbound-watcher", "inbound-watcher-" + Guid.NewGuid().ToString("N"), c => c.EnableAutoCommit = false)).Build();
        consumer.Assign(Enumerable.Range(0, factory.Options.Partitions)
            .Select(p => new TopicPartition(topic, p))
            .Select(tp => new TopicPartitionOffset(tp, consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High))
            .ToList());
        return new InboundWatcher(consumer);
    }

    /// <summary>The next inbound frame that matches; fails after <see cref="WebPubSubTestClient.DefaultTimeout"/>.</summary>
    public async Task<InboundFrame> NextAsync(Func<InboundFrame, bool> predicate, CancellationToken cancellationToken) =>
        (await NextRecordAsync(predicate, cancellationToken).ConfigureAwait(false)).Frame;

    /// <summary>The next inbound record whose frame matches, with its key and headers; fails after <see cref="WebPubSubTestClient.DefaultTimeout"/>.</summary>
    public Task<InboundRecord> NextRecordAsync(Func<InboundFrame, bool> predicate, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(WebPubSubTestClient.DefaultTimeout);
        var token = timeout.Token;
        return Task.Run(() =>
        {
            while (true)
            {
                var message = _consumer.Consume(token).Message;
                var frame = ContractSerializer.DeserializeInbound(message.Value);
                if (predicate(frame))
                {
                    return new InboundRecord(message.Key, message.Headers ?? [], frame);
                }
            }
        }, token).WaitAsync(WebPubSubTestClient.DefaultTimeout, cancellationToken);
    }

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}

/// <summary>One record of the inbound topic: its key, its headers and the frame it holds.</summary>
internal sealed record InboundRecord(byte[] Key, Headers Headers, InboundFrame Frame);
