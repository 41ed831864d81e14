using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Kafka;

/// <summary>
/// Owns the one Kafka producer of the process (producers are thread-safe and batch better when shared). It is
/// created when the host starts and flushed, then closed, when it stops.
/// </summary>
public sealed class KafkaProducerHost(KafkaClientFactory factory, ILogger<KafkaProducerHost> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(10);
    private IProducer<byte[], byte[]>? _producer;

    /// <summary>The shared producer; throws before the host has started.</summary>
    public IProducer<byte[], byte[]> Producer => _producer ?? throw new InvalidOperationException("The Kafka producer has not started yet.");

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _producer = new ProducerBuilder<byte[], byte[]>(factory.ProducerConfig($"brokerchat-{Environment.ProcessId}"))
            .SetLogHandler((_, message) => factory.Log(message))
            .SetErrorHandler((_, error) => KafkaLog.ProducerError(logger, error.Reason, error.Code))
            .Build();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_producer is { } producer)
        {
            // Deliver what is in flight, so nothing already handed to Kafka is dropped by a graceful stop.
            var left = producer.Flush(FlushTimeout);
            if (left > 0)
            {
                KafkaLog.ProducerUnflushed(logger, left);
            }
        }

        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var producer = Interlocked.Exchange(ref _producer, null);
        producer?.Dispose();
    }
}
