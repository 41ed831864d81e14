using System.Collections.Concurrent;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Invocations;
using BrokerChat.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// Hosts an <see cref="IRequestHandler"/> (the chat function) on a Kafka consumer group: reads the inbound topic,
/// runs the handler, produces its deliveries to the outbound topic keyed by what each is about (the room's key for
/// anything about a group, else the request's key), and stores a request's offset for commit only once every delivery
/// made from it (and from every request before it in the partition) was acknowledged by the brokers.
/// </summary>
/// <remarks>
/// <para>One poll thread reads every assigned partition and hands each record to its partition's
/// <see cref="PartitionLane"/>, there to one of <see cref="FunctionsOptions.KeySlotsPerPartition"/> key slots chosen by
/// a hash of the record key: a bounded queue with a task of its own. So partitions, and the rooms of one partition,
/// are worked on in parallel, while each key keeps its order. A slot that finds several records queued hands up to
/// <see cref="FunctionsOptions.MaxBatchSize"/> of them to the handler in one call. A full lane (or slot) pauses its
/// partition alone (and rewinds the fetch position to the record that did not fit); it resumes at half. The whole
/// worker holds at most <see cref="FunctionsOptions.MaxInFlight"/> records. A cancel control record
/// (<see cref="BrokerChat.Contracts.Topics.InboundHeaders.Control"/>) is acted on by the poll thread as it is read,
/// ahead of the records of its key.</para>
/// <para>A handler that throws is tried again with exponential backoff and jitter (Polly), up to
/// <see cref="FunctionsOptions.MaxAttempts"/> tries; only its own key slot waits meanwhile. A batch that keeps failing
/// is tried again record by record. A request that keeps failing, and a record that is not a valid request at all,
/// goes to the dead-letter topic unchanged with the reason and the number of tries in headers
/// (<see cref="BrokerChat.Contracts.Topics.DeadLetterHeaders"/>), and its sender gets an <c>InternalServerError</c> or
/// <c>BadRequest</c> ack error; it is committed only once Kafka stored it there, so nothing is ever dropped
/// silently.</para>
/// <para>At-least-once: after a crash, a lost partition or a failed delivery, uncommitted requests are handled again.
/// Their deliveries carry the same deterministic message ids (from the inbound partition and offset), which
/// connectors use to drop the repeats.</para>
/// <para>The worker is split by concern: this file is the poll loop; <c>KafkaFunctionWorker.Rebalance.cs</c> takes
/// partitions on and gives them up; <c>KafkaFunctionWorker.Lanes.cs</c> starts, services and rewinds the lanes and runs
/// their key slots; <c>KafkaFunctionWorker.Handle.cs</c> handles one record, <c>KafkaFunctionWorker.Batch.cs</c> a
/// batch, <c>KafkaFunctionWorker.Control.cs</c> a control record. They use the <see cref="RequestRetryPolicy"/>, the
/// <see cref="DeliveryProducer"/>, the <see cref="DeadLetterWriter"/> and the <see cref="OffsetStore"/>.</para>
/// </remarks>
public sealed partial class KafkaFunctionWorker : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly int _index;
    private readonly IRequestHandler _handler;
    private readonly KafkaClientFactory _factory;
    private readonly KafkaEndpoint _endpoint;
    private readonly FunctionsOptions _options;
    private readonly FunctionsMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, PartitionLane> _lanes = new();
    private readonly OffsetStore _offsets;
    private readonly RequestRetryPolicy _retry;
    private readonly DeliveryProducer _producer;
    private readonly DeadLetterWriter _deadLetters;
    private readonly RunningInvocations _invocations;
    private long _processed;
    private long _expired;
    private volatile bool _inGroup;

    /// <summary>Creates worker number <paramref name="index"/> of this process.</summary>
    public KafkaFunctionWorker(
        int index,
        IRequestHandler handler,
        KafkaClientFactory factory,
        KafkaProducerHost producerHost,
        KafkaEndpoint endpoint,
        IOptions<FunctionsOptions> options,
        FunctionsMetrics metrics,
        RunningInvocations invocations,
        TimeProvider timeProvider,
        ILogger<KafkaFunctionWorker> logger,
        RetentionReaders? readers = null)
    {
        _index = index;
        _handler = handler;
        _factory = factory;
        _endpoint = endpoint;
        _options = options.Value;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
        _invocations = invocations;
        // The embedded cluster's retention keeps the inbound records this worker has not finished.
        _offsets = new OffsetStore(factory.Topics.Inbound, _options.MaxInFlight, readers?.AddGroup(_options.GroupId, factory.Topics.Inbound));
        _retry = new RequestRetryPolicy(_options, metrics, timeProvider, logger);
        _producer = new DeliveryProducer(producerHost, _offsets, metrics, timeProvider, logger);
        _deadLetters = new DeadLetterWriter(handler, _producer, factory.Topics, metrics, timeProvider, logger);
        _metrics.AddLagSource(this, ObserveLag);
    }

    /// <summary>Requests this worker has run the handler on successfully since it started.</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>Requests this worker skipped because their connector had stopped waiting for their outcome (<see cref="BrokerChat.Contracts.Messages.InboundFrame.AnswerBy"/>).</summary>
    public long Expired => Interlocked.Read(ref _expired);

    /// <summary>
    /// Whether this worker is in its consumer group right now, as of the client's latest statistics (every 5 s by
    /// default): the group coordinator was found and answers. That holds for a member that owns no partition too
    /// (a group with more members than partitions), which gets no assignment callback to tell it apart.
    /// </summary>
    public bool InGroup => _inGroup;

    /// <summary>The inbound partitions this worker owns right now.</summary>
    public IReadOnlyCollection<int> AssignedPartitions => _lanes.Keys.Order().ToArray();

    /// <summary>Records this worker has read and not finished yet (queued, being handled or awaiting Kafka), over all its partitions.</summary>
    internal int InFlight => _lanes.Values.Sum(l => l.Progress.InFlight);

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
        _offsets.Dispose();
        base.Dispose();
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

    private void Run(CancellationToken stoppingToken)
    {
        var topic = _factory.Topics.Inbound;
        var config = GroupConsumerSettings.For(_factory, $"brokerchat-functions-{Environment.ProcessId}-{_index}", _options.GroupId);

        using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, message) => _factory.Log(message))
            .SetErrorHandler((_, error) => Log.ConsumerError(_logger, _index, error.Reason, error.Code))
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
            .SetStatisticsHandler((_, json) => _inGroup = GroupState(json) == "up")
            .Build();
        _offsets.Consumer = consumer;
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

            _offsets.Consumer = null;
            _inGroup = false;
            Log.WorkerStopped(_logger, _index);
        }
    }

    /// <summary>
    /// Hands a record to its key slot, acts on a control record at once, or pauses the partition when the lane or the
    /// slot is full. Poll thread.
    /// </summary>
    private void Dispatch(IConsumer<byte[], byte[]> consumer, ConsumeResult<byte[], byte[]> result, CancellationToken stoppingToken)
    {
        // Records of a partition we no longer own, or one paused a moment ago, can still come from the prefetch queue.
        if (!_lanes.TryGetValue(result.Partition.Value, out var lane) || lane.Paused)
        {
            return;
        }

        if (IsCancel(result))
        {
            // Holds nothing, so it needs no room: it is acted on even when the partition is full.
            Cancel(lane, result);
            return;
        }

        if (lane.SlotFor(result.Message.Key) is not { } slot)
        {
            return;
        }

        if (lane.Progress.InFlight >= _options.MaxInFlightPerPartition || slot.IsFull)
        {
            Pause(consumer, lane, result);
            return;
        }

        _offsets.Acquire(stoppingToken);
        lane.Progress.Started(result.Offset.Value);
        if (!slot.TryEnqueue(result))
        {
            // The lane was abandoned meanwhile; the record's slot goes back with the retired progress.
            return;
        }
    }
}
