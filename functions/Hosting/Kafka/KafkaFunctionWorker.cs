using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Chat;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Tracing;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Log = BrokerChat.Functions.Hosting.FunctionsLog;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// Hosts an <see cref="IRequestHandler"/> (the chat function) on a Kafka consumer group: reads the inbound topic,
/// runs the handler, produces its deliveries to the outbound topic keyed like the request, and stores a request's
/// offset for commit only once every delivery made from it (and from every request before it in the partition) was
/// acknowledged by the brokers.
/// </summary>
/// <remarks>
/// <para>One poll thread reads every assigned partition and hands each record to its partition's
/// <see cref="PartitionLane"/>: a bounded queue with a task of its own, so partitions are worked on in parallel while
/// each keeps its order. A full lane pauses its partition alone (and rewinds the fetch position to the record that did
/// not fit); it resumes at half. The whole worker holds at most <see cref="FunctionsOptions.MaxInFlight"/> records.</para>
/// <para>A handler that throws is tried again with exponential backoff and jitter (Polly), up to
/// <see cref="FunctionsOptions.MaxAttempts"/> tries; only its own partition waits meanwhile. A request that keeps
/// failing, and a record that is not a valid request at all, goes to the dead-letter topic unchanged with the reason
/// and the number of tries in headers (<see cref="DeadLetterHeaders"/>), and its sender gets an
/// <c>InternalServerError</c> or <c>BadRequest</c> ack error; it is committed only once Kafka stored it there, so
/// nothing is ever dropped silently.</para>
/// <para>At-least-once: after a crash, a lost partition or a failed delivery, uncommitted requests are handled again.
/// Their deliveries carry the same deterministic message ids (from the inbound partition and offset), which
/// connectors use to drop the repeats.</para>
/// </remarks>
public sealed class KafkaFunctionWorker : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ServiceInterval = TimeSpan.FromMilliseconds(10);
    private static readonly ResiliencePropertyKey<PartitionLane> LaneKey = new("brokerchat.lane");
    private readonly int _index;
    private readonly IRequestHandler _handler;
    private readonly KafkaClientFactory _factory;
    private readonly KafkaProducerHost _producerHost;
    private readonly KafkaEndpoint _endpoint;
    private readonly FunctionsOptions _options;
    private readonly FunctionsMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, PartitionLane> _lanes = new();
    private readonly SemaphoreSlim _inFlight;
    private readonly ResiliencePipeline _retry;
    private IConsumer<byte[], byte[]>? _consumer;
    private long _processed;
    private volatile bool _inGroup;
    private long _lagMeasuredAt;
    private long _servicedAt;
    private int _pausedLanes; // as of the last full service, plus pauses since: never fewer than are paused

    /// <summary>Creates worker number <paramref name="index"/> of this process.</summary>
    public KafkaFunctionWorker(
        int index,
        IRequestHandler handler,
        KafkaClientFactory factory,
        KafkaProducerHost producerHost,
        KafkaEndpoint endpoint,
        IOptions<FunctionsOptions> options,
        FunctionsMetrics metrics,
        TimeProvider timeProvider,
        ILogger<KafkaFunctionWorker> logger)
    {
        _index = index;
        _handler = handler;
        _factory = factory;
        _producerHost = producerHost;
        _endpoint = endpoint;
        _options = options.Value;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
        _inFlight = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
        _retry = BuildRetryPipeline();
        _metrics.AddLagSource(this, ObserveLag);
    }

    /// <summary>Requests this worker has run the handler on successfully since it started.</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>
    /// Whether this worker is in its consumer group right now, as of the client's latest statistics (every 5 s by
    /// default): the group coordinator was found and answers. That holds for a member that owns no partition too
    /// (a group with more members than partitions), which gets no assignment callback to tell it apart.
    /// </summary>
    public bool InGroup => _inGroup;

    /// <summary>The inbound partitions this worker owns right now.</summary>
    public IReadOnlyCollection<int> AssignedPartitions => _lanes.Keys.Order().ToArray();

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
        _metrics.RemoveLagSource(this);
        _inFlight.Dispose();
        base.Dispose();
    }

    private ResiliencePipeline BuildRetryPipeline()
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryDelay,
                MaxDelay = _options.MaxRetryDelay,
                OnRetry = args =>
                {
                    _metrics.Failed();
                    _metrics.Retried();
                    if (args.Context.Properties.TryGetValue(LaneKey, out var lane))
                    {
                        Log.Retrying(_logger, lane.Partition, lane.Current, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message ?? "");
                    }

                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
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
            // The statistics carry the group state, which /readyz reports; a member without partitions has no other sign.
            c.StatisticsIntervalMs = c.StatisticsIntervalMs is > 0 ? c.StatisticsIntervalMs : 5_000;
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
            .SetStatisticsHandler((_, json) => _inGroup = GroupState(json) == "up")
            .Build();
        _consumer = consumer;
        consumer.Subscribe(topic);
        Log.WorkerStarted(_logger, _index, _options.GroupId, topic);
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
                    Log.ConsumerError(_logger, _index, ex.Error.Reason, ex.Error.Code);
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
            _inGroup = false;
            Log.WorkerStopped(_logger, _index);
        }
    }

    /// <summary>Hands a record to its partition's lane, or pauses the partition when the lane is full. Poll thread.</summary>
    private void Dispatch(IConsumer<byte[], byte[]> consumer, ConsumeResult<byte[], byte[]> result, CancellationToken stoppingToken)
    {
        // Records of a partition we no longer own, or one paused a moment ago, can still come from the prefetch queue.
        if (!_lanes.TryGetValue(result.Partition.Value, out var lane) || lane.Paused)
        {
            return;
        }

        if (lane.Progress.InFlight >= _options.MaxInFlightPerPartition)
        {
            // Stop fetching this partition alone and fetch this record again once the lane has room.
            consumer.Pause([result.TopicPartition]);
            consumer.Seek(result.TopicPartitionOffset);
            lane.Paused = true;
            _pausedLanes++;
            _metrics.Paused();
            Log.PartitionPaused(_logger, _index, lane.Partition, result.Offset.Value);
            return;
        }

        if (!_inFlight.Wait(0, CancellationToken.None))
        {
            // Bounded in flight for the whole worker: wait for deliveries to complete before reading further.
            _inFlight.Wait(stoppingToken);
        }

        lane.Progress.Started(result.Offset.Value);
        if (!lane.TryEnqueue(result))
        {
            // The lane was abandoned meanwhile; the record's slot goes back with the retired progress.
            return;
        }
    }

    /// <summary>Rewinds partitions whose delivery failed, resumes paused ones with room again, measures lag. Poll thread.</summary>
    private void ServiceLanes(IConsumer<byte[], byte[]> consumer)
    {
        // At most every 10 ms, not once per record (a rewind waits that much at worst), unless a paused partition may
        // be resumed: a full lane drains fast, and its partition should be fetching again as soon as it has room.
        if (_pausedLanes == 0 && _time.GetElapsedTime(_servicedAt) < ServiceInterval)
        {
            return;
        }

        _servicedAt = _time.GetTimestamp();
        var measureLag = _time.GetElapsedTime(Volatile.Read(ref _lagMeasuredAt)) >= LagInterval;
        if (measureLag)
        {
            Volatile.Write(ref _lagMeasuredAt, _time.GetTimestamp());
        }

        var paused = 0;
        foreach (var lane in _lanes.Values)
        {
            var tp = lane.TopicPartition;
            if (lane.Progress.NeedsRewind)
            {
                Rewind(consumer, lane, tp);
                continue;
            }

            if (lane.Paused && lane.Progress.InFlight <= _options.MaxInFlightPerPartition / 2)
            {
                consumer.Resume([tp]);
                lane.Paused = false;
            }

            if (lane.Paused)
            {
                paused++;
            }

            if (measureLag)
            {
                MeasureLag(consumer, lane, tp);
            }
        }

        _pausedLanes = paused;
    }

    private void Rewind(IConsumer<byte[], byte[]> consumer, PartitionLane failed, TopicPartition tp)
    {
        StopLanes([failed], TimeSpan.Zero);
        var from = failed.Progress.FirstUnfinished;
        ReleaseRetired(failed);
        var lane = StartLane(failed.Partition);
        _lanes[failed.Partition] = lane;
        failed.Dispose();
        Log.Rewind(_logger, _index, tp.Partition.Value, from);
        consumer.Seek(new TopicPartitionOffset(tp, from));
        if (failed.Paused)
        {
            consumer.Resume([tp]);
        }
    }

    private static void MeasureLag(IConsumer<byte[], byte[]> consumer, PartitionLane lane, TopicPartition tp)
    {
        try
        {
            var high = consumer.GetWatermarkOffsets(tp).High;
            var next = lane.Progress.FirstUnfinished;
            if (next < 0)
            {
                next = consumer.Position(tp);
            }

            if (high >= 0 && next >= 0)
            {
                lane.Lag = Math.Max(0, high - next);
            }
        }
        catch (KafkaException)
        {
            // Not known yet: the gauge keeps the last value.
        }
    }

    private IEnumerable<KeyValuePair<int, long>> ObserveLag()
    {
        foreach (var lane in _lanes.Values)
        {
            var lag = lane.Lag;
            if (lag >= 0)
            {
                yield return new KeyValuePair<int, long>(lane.Partition, lag);
            }
        }
    }

    private PartitionLane StartLane(int partition)
    {
        var lane = new PartitionLane(new TopicPartition(_factory.Topics.Inbound, partition), _options.MaxInFlightPerPartition);
        lane.Completion = Task.Run(() => RunLaneAsync(lane), CancellationToken.None);
        return lane;
    }

    private async Task RunLaneAsync(PartitionLane lane)
    {
        var token = lane.Token;
        try
        {
            while (await lane.Reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                // Drain what is queued as one batch before waiting again.
                while (lane.Reader.TryRead(out var record))
                {
                    token.ThrowIfCancellationRequested();
                    await HandleAsync(lane, record, token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Abandoned: what is left is handled again by whoever owns the partition next.
        }
        catch (Exception ex)
        {
            // A bug in the lane itself, not in the handler: read the partition again from its first unfinished record.
            Log.LaneFailed(_logger, ex, _index, lane.Partition);
            lane.Progress.Failed(lane.Current);
        }
    }

    private async ValueTask HandleAsync(PartitionLane lane, ConsumeResult<byte[], byte[]> record, CancellationToken token)
    {
        var offset = record.Offset.Value;
        var position = new InboundPosition(lane.Partition, offset);
        lane.Current = offset;
        InboundFrame? frame = null;
        string? invalid = null;
        try
        {
            frame = ContractSerializer.DeserializeInbound(record.Message.Value);
        }
        catch (ContractException ex)
        {
            invalid = ex.Message;
        }

        using var activity = FunctionsTelemetry.Source.HasListeners() ? StartProcessActivity(record, frame, lane.Partition) : null;
        if (frame is null)
        {
            Log.PoisonRecord(_logger, lane.Partition, offset, invalid!);
            _metrics.Poison();
            await DeadLetterAsync(lane, record, null, $"Not a valid request: {invalid}", 1, activity, token).ConfigureAwait(false);
            return;
        }

        IReadOnlyList<Delivery> outputs;
        lane.Attempts = 0;
        var context = ResilienceContextPool.Shared.Get(token);
        context.Properties.Set(LaneKey, lane);
        try
        {
            outputs = await _retry.ExecuteAsync(
                static (ctx, state) =>
                {
                    state.Lane.Attempts++;
                    return state.Handler.HandleAsync(state.Frame, state.Position, ctx.CancellationToken);
                },
                context,
                (Lane: lane, Handler: _handler, Frame: frame, Position: position)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            _metrics.Failed();
            await DeadLetterAsync(lane, record, frame, $"{ex.GetType().Name}: {ex.Message}", lane.Attempts, activity, token).ConfigureAwait(false);
            return;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        Interlocked.Increment(ref _processed);
        _metrics.Processed(outputs.Count > 0 && outputs[0].HasMessage);
        activity?.SetTag("brokerchat.attempts", lane.Attempts);
        if (outputs.Count == 0)
        {
            Finish(lane.Progress, offset);
            return;
        }

        var remaining = new RecordCompletion(outputs.Count);
        foreach (var delivery in outputs)
        {
            if (activity is not null)
            {
                delivery.TraceParent = activity.Id;
            }

            var message = new Message<byte[], byte[]> { Key = record.Message.Key, Value = ContractSerializer.Serialize(delivery) };
            KafkaTraceContext.Inject(message, activity);
            await ProduceAsync(_factory.Topics.Outbound, message, lane.Progress, offset, remaining, token).ConfigureAwait(false);
        }
    }

    private Activity? StartProcessActivity(ConsumeResult<byte[], byte[]> record, InboundFrame? frame, int partition)
    {
        var activity = FunctionsTelemetry.Source.StartActivity(
            "brokerchat.inbound process", ActivityKind.Consumer, KafkaTraceContext.Extract(record.Message.Headers, frame?.TraceParent));
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", record.Topic);
            activity.SetTag("messaging.consumer.group.name", _options.GroupId);
            activity.SetTag("messaging.destination.partition.id", partition);
            activity.SetTag("messaging.kafka.offset", record.Offset.Value);
            activity.SetTag("brokerchat.hub", frame?.Hub);
            activity.SetTag("brokerchat.group", frame?.Group);
        }

        return activity;
    }

    /// <summary>
    /// Sets a record aside on the dead-letter topic, unchanged, with why in headers, and tells its sender when it asked
    /// for an ack. The record counts as finished once both are stored.
    /// </summary>
    private async ValueTask DeadLetterAsync(PartitionLane lane, ConsumeResult<byte[], byte[]> record, InboundFrame? frame, string reason, int attempts, Activity? activity, CancellationToken token)
    {
        var offset = record.Offset.Value;
        activity?.SetStatus(ActivityStatusCode.Error, reason);
        activity?.SetTag("brokerchat.attempts", attempts);
        Log.DeadLettered(_logger, lane.Partition, offset, attempts, reason);
        _metrics.DeadLettered(invalid: frame is null);
        var headers = new Headers();
        if (record.Message.Headers is { } original)
        {
            foreach (var header in original)
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        headers.Add(DeadLetterHeaders.Reason, Encoding.UTF8.GetBytes(reason));
        headers.Add(DeadLetterHeaders.Attempts, Encoding.UTF8.GetBytes(attempts.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(record.Topic));
        headers.Add(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes(lane.Partition.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes(offset.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.FailedAt, Encoding.UTF8.GetBytes(now.ToString(CultureInfo.InvariantCulture)));

        var ack = frame?.AckId is { } ackId
            ? ChatFunction.AckOnly(frame, new InboundPosition(lane.Partition, offset), now, AckOutcome.Failed(
                frame.ConnectionId,
                ackId,
                AckErrorNames.InternalServerError,
                $"The request could not be processed after {attempts} tries and was set aside."))
            : null;
        var remaining = new RecordCompletion(ack is null ? 1 : 2);
        var dead = new Message<byte[], byte[]> { Key = record.Message.Key, Value = record.Message.Value, Headers = headers };
        await ProduceAsync(_factory.Topics.DeadLetter, dead, lane.Progress, offset, remaining, token).ConfigureAwait(false);
        if (ack is not null)
        {
            ack.TraceParent = activity?.Id ?? ack.TraceParent;
            var message = new Message<byte[], byte[]> { Key = record.Message.Key, Value = ContractSerializer.Serialize(ack) };
            KafkaTraceContext.Inject(message, activity);
            await ProduceAsync(_factory.Topics.Outbound, message, lane.Progress, offset, remaining, token).ConfigureAwait(false);
        }
    }

    private async ValueTask ProduceAsync(string topic, Message<byte[], byte[]> message, PartitionProgress progress, long offset, RecordCompletion remaining, CancellationToken token)
    {
        var producer = _producerHost.Producer;
        while (true)
        {
            try
            {
                producer.Produce(topic, message, report => OnDelivered(report, progress, offset, remaining));
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The producer's bounded queue is full: wait for it to drain rather than buffer more.
                await Task.Delay(TimeSpan.FromMilliseconds(5), _time, token).ConfigureAwait(false);
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

    private void ReleaseRetired(PartitionLane lane)
    {
        var held = lane.Progress.Retire();
        if (held > 0)
        {
            _inFlight.Release(held);
        }
    }

    /// <summary>The <c>cgrp.state</c> of librdkafka's statistics JSON (<c>up</c> once the coordinator answers), or null.</summary>
    internal static string? GroupState(string statistics)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(statistics);
            return document.RootElement.TryGetProperty("cgrp", out var group)
                && group.ValueKind == System.Text.Json.JsonValueKind.Object
                && group.TryGetProperty("state", out var state)
                && state.ValueKind == System.Text.Json.JsonValueKind.String ? state.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        foreach (var tp in partitions)
        {
            var lane = StartLane(tp.Partition.Value);
            if (_lanes.TryGetValue(tp.Partition.Value, out var previous))
            {
                StopLanes([previous], TimeSpan.Zero);
                ReleaseRetired(previous);
                previous.Dispose();
            }

            _lanes[tp.Partition.Value] = lane;
        }

        if (partitions.Count > 0)
        {
            Log.PartitionsAssigned(_logger, _index, string.Join(",", partitions.Select(p => p.Partition.Value).Order()));
        }
    }

    private void OnRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        if (partitions.Count == 0)
        {
            return;
        }

        Log.PartitionsRevoked(_logger, _index, string.Join(",", partitions.Select(p => p.Partition.Value).Order()));
        var lanes = TakeLanes(partitions.Select(p => p.Partition.Value));
        // Records not started yet are left to the next owner: the rebalance waits only for work under way.
        StopLanes(lanes, TimeSpan.Zero);
        WaitForDeliveries(lanes);
        var commits = new List<TopicPartitionOffset>();
        foreach (var lane in lanes)
        {
            ReleaseRetired(lane);
            if (lane.Progress.CommitOffset >= 0)
            {
                commits.Add(new TopicPartitionOffset(_factory.Topics.Inbound, lane.Partition, lane.Progress.CommitOffset));
            }

            lane.Dispose();
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
        foreach (var lane in TakeLanes(partitions.Select(p => p.Partition.Value)))
        {
            // Another member may own the partition already: stop at once and commit nothing.
            lane.Cancel();
            ReleaseRetired(lane);
        }
    }

    private List<PartitionLane> TakeLanes(IEnumerable<int> partitions)
    {
        var lanes = new List<PartitionLane>();
        foreach (var partition in partitions)
        {
            if (_lanes.TryRemove(partition, out var lane))
            {
                lanes.Add(lane);
            }
        }

        return lanes;
    }

    /// <summary>
    /// Stops lanes: each finishes the records it holds for up to <paramref name="grace"/>, then is cancelled; waits (up
    /// to the drain timeout) for their tasks, so nothing of theirs is produced after this returns.
    /// </summary>
    private void StopLanes(List<PartitionLane> lanes, TimeSpan grace)
    {
        if (lanes.Count == 0)
        {
            return;
        }

        var all = Task.WhenAll(lanes.Select(l => l.Completion));
        foreach (var lane in lanes)
        {
            if (grace > TimeSpan.Zero)
            {
                lane.Complete();
            }
            else
            {
                lane.Cancel();
            }
        }

        if (grace > TimeSpan.Zero && !all.Wait(grace))
        {
            foreach (var lane in lanes)
            {
                lane.Cancel();
            }
        }

        all.Wait(_options.DrainTimeout);
    }

    private void Drain()
    {
        var lanes = TakeLanes(_lanes.Keys.ToArray());
        StopLanes(lanes, _options.DrainTimeout);
        WaitForDeliveries(lanes);
        var left = lanes.Sum(l => l.Progress.InFlight);
        if (left > 0)
        {
            Log.DrainIncomplete(_logger, _index, left);
        }

        foreach (var lane in lanes)
        {
            ReleaseRetired(lane);
            lane.Dispose();
        }
    }

    private void WaitForDeliveries(IEnumerable<PartitionLane> lanes)
    {
        // Delivery reports arrive on the producer's own thread; flushing waits for them without a polling loop.
        if (lanes.Any(l => l.Progress.InFlight > 0))
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
