using System.Collections.Concurrent;
using BrokerChat.Functions.Hosting.Kafka;
using BrokerChat.History;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Log = BrokerChat.Functions.History.HistoryLog;

namespace BrokerChat.Functions.History;

/// <summary>
/// The history function: reads the outbound topic in a consumer group of its own (<see cref="HistoryOptions.GroupId"/>)
/// and writes the group messages it finds there (what the functions accepted, with their message ids, in each room's
/// order) to the <see cref="HistoryStore"/>, a batch per partition at a time.
/// </summary>
/// <remarks>
/// <para>It is built from the Kafka worker's parts: a <see cref="PartitionLane"/> per assigned partition (with one key
/// slot, so a partition's records are written in offset order), its <see cref="PartitionProgress"/> and the
/// <see cref="OffsetStore"/>, so a record's offset is committed only once the database holds it (and every record before
/// it). A full lane pauses its partition alone and resumes at half.</para>
/// <para>A batch the database refuses or does not answer is tried again with exponential backoff and jitter, for as
/// long as it takes: only that partition waits (its lag grows, <see cref="HistoryMetrics"/>), the chat itself never
/// does, since the connectors read the outbound topic without a group and the chat workers read the inbound topic.
/// Nothing is lost: when the database is back the backlog is written. A redelivered record (after a crash or a
/// rebalance, or a request the functions handled twice) writes nothing new: the store is idempotent on the message id.</para>
/// <para>Split by concern: this file is the poll loop and the partitions' assignment; <c>HistoryWorker.Batches.cs</c>
/// collects and writes the batches; <c>HistoryWorker.Lanes.cs</c> services the lanes (resume, rewind, lag) and runs
/// the age retention.</para>
/// </remarks>
public sealed partial class HistoryWorker : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly HistoryStore _store;
    private readonly KafkaClientFactory _factory;
    private readonly KafkaEndpoint _endpoint;
    private readonly HistoryOptions _options;
    private readonly HistoryMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, HistoryLane> _lanes = new();
    private readonly OffsetStore _offsets;
    private readonly ResiliencePipeline _retry;
    private readonly TaskCompletionSource _migrated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _written;

    /// <summary>Creates the history function of this process.</summary>
    public HistoryWorker(
        HistoryStore store,
        KafkaClientFactory factory,
        KafkaEndpoint endpoint,
        IOptions<HistoryOptions> options,
        HistoryMetrics metrics,
        TimeProvider timeProvider,
        ILogger<HistoryWorker> logger,
        RetentionReaders? readers = null)
    {
        _store = store;
        _factory = factory;
        _endpoint = endpoint;
        _options = options.Value;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
        // Each partition holds at most MaxInFlightPerPartition; the worker-wide bound only backs that up.
        // The embedded cluster's retention keeps the outbound records the store has not taken yet (when history is on).
        _offsets = new OffsetStore(factory.Topics.Outbound, (int)Math.Min(int.MaxValue, _options.MaxInFlightPerPartition * 64L),
            _options.AnyEnabled ? readers?.AddGroup(_options.GroupId, factory.Topics.Outbound) : null);
        _retry = new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.RetryDelay,
            MaxDelay = _options.MaxRetryDelay,
            OnRetry = args =>
            {
                _metrics.WriteFailed();
                if (args.Context.Properties.TryGetValue(BatchKey, out var batch))
                {
                    Log.Retrying(_logger, batch.Count, batch.Partition, batch.Offset, args.AttemptNumber + 2, args.RetryDelay, args.Outcome.Exception?.Message ?? "");
                }

                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    /// <summary>Group messages this process has written to the store (new ones, not repeats) since it started.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>The outbound partitions this history function owns right now.</summary>
    public IReadOnlyCollection<int> AssignedPartitions => _lanes.Keys.Order().ToArray();

    /// <summary>Completes once the store's schema is up to date (the history function has started).</summary>
    public Task Migrated => _migrated.Task;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.AnyEnabled)
        {
            return;
        }

        await _endpoint.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
        await MigrateAsync(stoppingToken).ConfigureAwait(false);
        var trim = TrimLoopAsync(stoppingToken);
        // Consume blocks, so the loop gets a thread of its own rather than a pool thread for the host's lifetime.
        await Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        await trim.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _offsets.Dispose();
        base.Dispose();
    }

    private async Task MigrateAsync(CancellationToken stoppingToken)
    {
        var delay = _options.RetryDelay;
        while (true)
        {
            try
            {
                await _store.MigrateAsync(stoppingToken).ConfigureAwait(false);
                _migrated.TrySetResult();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The database is down or not there yet: the chat runs meanwhile, and the outbound records wait in Kafka.
                Log.StoreUnavailable(_logger, ex.Message, delay);
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks, delay.Ticks * 2));
            }
        }
    }

    private void Run(CancellationToken stoppingToken)
    {
        var topic = _factory.Topics.Outbound;
        var config = GroupConsumerSettings.For(_factory, $"brokerchat-history-{Environment.ProcessId}", _options.GroupId);
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, message) => _factory.Log(message))
            .SetPartitionsAssignedHandler((c, partitions) => OnAssigned(c, partitions))
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
            .Build();
        _offsets.Consumer = consumer;
        consumer.Subscribe(topic);
        Log.Started(_logger, _options.GroupId, topic, _options.Provider.ToString());
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ServiceLanes(consumer);
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(PollInterval);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    continue;
                }

                if (result?.Message is not null)
                {
                    Dispatch(consumer, result, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            StopLanes(TakeLanes(_lanes.Keys.ToArray()), commit: null);
            try
            {
                // Close commits what was stored and leaves the group, so the partitions move at once.
                consumer.Close();
            }
            catch (KafkaException)
            {
                // What was not committed is written again (as nothing new) by the next owner.
            }

            _offsets.Consumer = null;
            Log.Stopped(_logger);
        }
    }

    /// <summary>Hands a record to its partition's lane, or pauses the partition when the lane is full. Poll thread.</summary>
    private void Dispatch(IConsumer<byte[], byte[]> consumer, ConsumeResult<byte[], byte[]> result, CancellationToken stoppingToken)
    {
        if (!_lanes.TryGetValue(result.Partition.Value, out var state) || state.Lane.Paused || state.Lane.SlotFor(null) is not { } slot)
        {
            return;
        }

        if (state.Lane.Progress.InFlight >= _options.MaxInFlightPerPartition || slot.IsFull)
        {
            consumer.Pause([result.TopicPartition]);
            consumer.Seek(result.TopicPartitionOffset);
            state.Lane.Paused = true;
            return;
        }

        _offsets.Acquire(stoppingToken);
        state.Lane.Progress.Started(result.Offset.Value);
        slot.TryEnqueue(result);
    }

    private void OnAssigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions)
    {
        foreach (var tp in partitions)
        {
            WatermarkOffsets? marks = null;
            try
            {
                marks = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
            }
            catch (KafkaException)
            {
                // Unknown: the partition keeps its epoch (a fresh start of the topic goes unnoticed this once).
            }

            var state = StartLane(tp, marks?.Low.Value ?? 0, marks?.High.Value ?? long.MaxValue, mark: null);
            if (_lanes.TryRemove(tp.Partition.Value, out var previous))
            {
                StopLanes([previous], commit: null);
            }

            _lanes[tp.Partition.Value] = state;
        }

        if (partitions.Count > 0)
        {
            Log.Assigned(_logger, string.Join(",", partitions.Select(p => p.Partition.Value).Order()));
        }
    }

    private void OnRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions) =>
        StopLanes(TakeLanes(partitions.Select(p => p.Partition.Value)), consumer);

    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        foreach (var state in TakeLanes(partitions.Select(p => p.Partition.Value)))
        {
            // Another member may own the partition already: stop at once and commit nothing.
            state.Lane.Cancel();
            _offsets.Retire(state.Lane.Progress);
            _metrics.Lag(state.Partition, -1);
        }
    }

    private HistoryLane StartLane(TopicPartition tp, long low, long high, PartitionMark? mark)
    {
        var state = new HistoryLane(low, high) { Mark = mark };
        state.Lane = new PartitionLane(tp, 1, _options.MaxInFlightPerPartition, slot => RunSlotAsync(state, slot));
        return state;
    }

    private List<HistoryLane> TakeLanes(IEnumerable<int> partitions)
    {
        var lanes = new List<HistoryLane>();
        foreach (var partition in partitions)
        {
            if (_lanes.TryRemove(partition, out var state))
            {
                lanes.Add(state);
            }
        }

        return lanes;
    }

    /// <summary>
    /// Stops lanes at once (a batch being written is rolled back and read again by the next owner), waits for their
    /// tasks, and commits what they finished when <paramref name="commit"/> is given (a revoke).
    /// </summary>
    private void StopLanes(List<HistoryLane> lanes, IConsumer<byte[], byte[]>? commit)
    {
        if (lanes.Count == 0)
        {
            return;
        }

        foreach (var state in lanes)
        {
            state.Lane.Cancel();
        }

        Task.WhenAll(lanes.Select(l => l.Lane.Completion)).Wait(_options.CommandTimeout);
        var commits = new List<TopicPartitionOffset>();
        foreach (var state in lanes)
        {
            _offsets.Retire(state.Lane.Progress);
            _metrics.Lag(state.Partition, -1);
            if (state.Lane.Progress.CommitOffset >= 0)
            {
                commits.Add(new TopicPartitionOffset(state.Lane.TopicPartition, state.Lane.Progress.CommitOffset));
            }

            state.Lane.Dispose();
        }

        if (commit is not null && commits.Count > 0)
        {
            try
            {
                commit.Commit(commits);
            }
            catch (KafkaException)
            {
                // The next owner writes the uncommitted records again, as nothing new.
            }
        }
    }

    /// <summary>An assigned partition: its lane, its watermarks at assignment and, once known, its mark in the store.</summary>
    private sealed class HistoryLane(long low, long high)
    {
        public PartitionLane Lane { get; set; } = null!;

        public int Partition => Lane.Partition;

        public long Low { get; } = low;

        public long High { get; } = high;

        public PartitionMark? Mark { get; set; }
    }
}
