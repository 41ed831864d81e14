using System.Collections.Concurrent;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Log = BrokerChat.Functions.Hosting.FunctionsLog;

namespace BrokerChat.Functions.Hosting;

/// <summary>
/// Hosts <see cref="ChatFunction"/> on a Kafka consumer group: reads the inbound topic, runs the function, produces
/// its deliveries to the outbound topic keyed like the request, and commits a request's offset only once every
/// delivery made from it (and from every request before it in the partition) was acknowledged by the brokers.
/// </summary>
/// <remarks>
/// At-least-once: after a crash or a failed delivery, uncommitted requests are processed again; their deliveries
/// carry the same deterministic message ids. A request that is not even a valid record is logged and skipped, so
/// it never stalls its partition. Records in flight are bounded by <see cref="FunctionsOptions.MaxInFlight"/>.
/// </remarks>
public sealed class KafkaFunctionWorker : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly int _index;
    private readonly ChatFunction _function;
    private readonly KafkaClientFactory _factory;
    private readonly KafkaProducerHost _producerHost;
    private readonly KafkaEndpoint _endpoint;
    private readonly FunctionsOptions _options;
    private readonly FunctionsMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, PartitionProgress> _progress = new();
    private readonly SemaphoreSlim _inFlight;
    private IConsumer<byte[], byte[]>? _consumer;

    /// <summary>Creates worker number <paramref name="index"/> of this process.</summary>
    public KafkaFunctionWorker(
        int index,
        ChatFunction function,
        KafkaClientFactory factory,
        KafkaProducerHost producerHost,
        KafkaEndpoint endpoint,
        IOptions<FunctionsOptions> options,
        FunctionsMetrics metrics,
        ILogger<KafkaFunctionWorker> logger)
    {
        _index = index;
        _function = function;
        _factory = factory;
        _producerHost = producerHost;
        _endpoint = endpoint;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _inFlight = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
    }

    private long _processed;

    /// <summary>Requests this worker has run the function on since it started.</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>The inbound partitions this worker owns right now.</summary>
    public IReadOnlyCollection<int> AssignedPartitions => _progress.Keys.Order().ToArray();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _endpoint.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
        // Consume blocks, so the loop gets a thread of its own rather than a pool thread for the host's lifetime.
        await Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _inFlight.Dispose();
        base.Dispose();
    }

    private void Run(CancellationToken stoppingToken)
    {
        var topic = _factory.Topics.Inbound;
        var config = _factory.ConsumerConfig($"brokerchat-functions-{Environment.ProcessId}-{_index}", _options.GroupId, c =>
        {
            c.EnableAutoCommit = true;
            c.EnableAutoOffsetStore = false;
            c.AutoCommitIntervalMs = 500; // Event Hubs throttles commits at 4/s per partition.
            c.AutoOffsetReset = AutoOffsetReset.Earliest;
            if (_factory.Options.GroupProtocol == "classic")
            {
                c.GroupProtocol = GroupProtocol.Classic;
                c.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
                c.SessionTimeoutMs = 10_000;
                c.HeartbeatIntervalMs = 1_000;
            }
            else
            {
                c.GroupProtocol = GroupProtocol.Consumer;
            }
        });

        using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, message) => _factory.Log(message))
            .SetErrorHandler((_, error) => Log.ConsumerError(_logger, _index, error.Reason, error.Code))
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
            .Build();
        _consumer = consumer;
        consumer.Subscribe(topic);
        Log.WorkerStarted(_logger, _index, _options.GroupId, topic);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                RewindFailedPartitions(consumer);
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(PollInterval);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    Log.ConsumerError(_logger, _index, ex.Error.Reason, ex.Error.Code);
                    continue;
                }

                if (result?.Message is null)
                {
                    continue;
                }

                if (!_inFlight.Wait(0, CancellationToken.None))
                {
                    // Bounded in flight: wait for deliveries to complete before reading further.
                    _inFlight.Wait(stoppingToken);
                }

                Process(result, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            Log.WorkerFailed(_logger, ex, _index);
            throw;
        }
        finally
        {
            Drain();
            try
            {
                // Close commits what was stored and leaves the group, so the partitions move at once.
                consumer.Close();
            }
            catch (KafkaException ex)
            {
                Log.CommitFailed(_logger, ex.Error.Reason);
            }

            _consumer = null;
            _progress.Clear();
            Log.WorkerStopped(_logger, _index);
        }
    }

    private void Process(ConsumeResult<byte[], byte[]> result, CancellationToken stoppingToken)
    {
        var partition = result.Partition.Value;
        var offset = result.Offset.Value;
        if (!_progress.TryGetValue(partition, out var progress))
        {
            // Records of a partition we no longer own can still arrive from the prefetch queue; skip them.
            _inFlight.Release();
            return;
        }

        progress.Started(offset);
        IReadOnlyList<Delivery> outputs;
        try
        {
            var frame = ContractSerializer.DeserializeInbound(result.Message.Value);
            outputs = _function.Handle(frame, new InboundPosition(partition, offset));
            Interlocked.Increment(ref _processed);
            _metrics.Processed(outputs.Count > 0 && outputs[0].HasMessage);
        }
        catch (ContractException ex)
        {
            Log.PoisonRecord(_logger, partition, offset, ex.Message);
            _metrics.Poison();
            outputs = [];
        }

        if (outputs.Count == 0)
        {
            Finish(progress, offset);
            return;
        }

        var remaining = new RecordCompletion(outputs.Count);
        foreach (var delivery in outputs)
        {
            var message = new Message<byte[], byte[]> { Key = result.Message.Key, Value = ContractSerializer.Serialize(delivery) };
            ProduceWithBackoff(message, report => OnDelivered(report, progress, offset, remaining), stoppingToken);
        }
    }

    private void ProduceWithBackoff(Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>> onDelivered, CancellationToken stoppingToken)
    {
        var producer = _producerHost.Producer;
        while (true)
        {
            try
            {
                producer.Produce(_factory.Topics.Outbound, message, onDelivered);
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The producer's bounded queue is full: wait for it to drain rather than buffer more.
                stoppingToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(5));
                stoppingToken.ThrowIfCancellationRequested();
            }
        }
    }

    private void OnDelivered(DeliveryReport<byte[], byte[]> report, PartitionProgress progress, long offset, RecordCompletion remaining)
    {
        if (report.Error.IsError)
        {
            if (remaining.Fail())
            {
                Log.DeliveryFailed(_logger, progress.Partition, offset, report.Error.Reason);
                _metrics.DeliveryFailed();
                if (progress.Failed(offset))
                {
                    _inFlight.Release();
                }
            }

            return;
        }

        if (remaining.Succeed())
        {
            Finish(progress, offset);
        }
    }

    private void Finish(PartitionProgress progress, long offset)
    {
        if (!progress.Finished(offset, out var commit))
        {
            return;
        }

        if (commit >= 0 && _consumer is { } consumer)
        {
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(_factory.Topics.Inbound, progress.Partition, commit));
            }
            catch (KafkaException)
            {
                // The partition was revoked meanwhile; its new owner processes from the last commit.
            }
        }

        _inFlight.Release();
    }

    private void RewindFailedPartitions(IConsumer<byte[], byte[]> consumer)
    {
        foreach (var (partition, progress) in _progress)
        {
            if (!progress.NeedsRewind)
            {
                continue;
            }

            var from = progress.FirstUnfinished;
            _progress[partition] = new PartitionProgress(partition);
            // Records still in flight in the retired progress will never commit; their slots are given back now.
            ReleaseRetired(progress);
            Log.Rewind(_logger, _index, partition, from);
            consumer.Seek(new TopicPartitionOffset(_factory.Topics.Inbound, partition, from));
        }
    }

    private void ReleaseRetired(PartitionProgress progress)
    {
        var held = progress.Retire();
        if (held > 0)
        {
            _inFlight.Release(held);
        }
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        foreach (var tp in partitions)
        {
            _progress[tp.Partition.Value] = new PartitionProgress(tp.Partition.Value);
        }

        if (partitions.Count == 0)
        {
            return;
        }

        Log.PartitionsAssigned(_logger, _index, string.Join(",", partitions.Select(p => p.Partition.Value).Order()));
    }

    private void OnRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        if (partitions.Count == 0)
        {
            return;
        }

        Log.PartitionsRevoked(_logger, _index, string.Join(",", partitions.Select(p => p.Partition.Value).Order()));
        var revoked = partitions.Select(p => p.Partition.Value).ToHashSet();
        WaitForInFlight(p => revoked.Contains(p.Partition));
        var commits = new List<TopicPartitionOffset>();
        foreach (var partition in revoked)
        {
            if (_progress.TryRemove(partition, out var progress))
            {
                ReleaseRetired(progress);
                if (progress.CommitOffset >= 0)
                {
                    commits.Add(new TopicPartitionOffset(_factory.Topics.Inbound, partition, progress.CommitOffset));
                }
            }
        }

        if (commits.Count > 0)
        {
            try
            {
                consumer.Commit(commits);
            }
            catch (KafkaException ex)
            {
                Log.CommitFailed(_logger, ex.Error.Reason);
            }
        }
    }

    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        Log.PartitionsLost(_logger, _index, string.Join(",", partitions.Select(p => p.Partition.Value).Order()));
        foreach (var tp in partitions)
        {
            if (_progress.TryRemove(tp.Partition.Value, out var progress))
            {
                ReleaseRetired(progress);
            }
        }
    }

    private void Drain()
    {
        WaitForInFlight(_ => true);
        var left = _progress.Values.Sum(p => p.InFlight);
        if (left > 0)
        {
            Log.DrainIncomplete(_logger, _index, left);
        }
    }

    private void WaitForInFlight(Func<PartitionProgress, bool> which)
    {
        // Delivery reports arrive on the producer's own thread; flushing waits for them without a polling loop.
        if (_progress.Values.Any(p => which(p) && p.InFlight > 0))
        {
            _producerHost.Producer.Flush(_options.DrainTimeout);
        }
    }

    /// <summary>Counts down the deliveries made from one request; exactly one caller sees the final outcome.</summary>
    private sealed class RecordCompletion(int deliveries)
    {
        private int _remaining = deliveries;

        public bool Succeed() => Interlocked.Decrement(ref _remaining) == 0;

        public bool Fail() => Interlocked.Exchange(ref _remaining, int.MinValue / 2) > 0;
    }
}
