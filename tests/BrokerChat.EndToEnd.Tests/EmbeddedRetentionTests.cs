using System.Text.Json.Nodes;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Embedded;
using BrokerChat.Testing;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// The embedded cluster keeps its partitions short, as retention would, so every fetch stays cheap; but it never drops
/// a record a known reader has yet to read, unless that reader is more than the hard cap behind.
/// </summary>
public sealed class EmbeddedRetentionTests
{
    private const int Retained = 100;

    [Fact(Timeout = 60_000)]
    public async Task EmbeddedClusterDropsRecordsBeyondTheRetainedCountAndKeepsTheNewest()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await RetentionCluster.StartAsync(new HostSettings { Kafka = { EmbeddedRetainedRecords = Retained, Partitions = 2 } }, ct);
        var partition = new TopicPartition(cluster.Topics.Inbound, 1);
        cluster.Produce(partition, 1_000, ct);

        var offsets = await cluster.WaitTrimmedAsync(partition, ct);
        Assert.Equal(1_000, offsets.High.Value);
        Assert.InRange(offsets.High.Value - offsets.Low.Value, 1, Retained + (Retained / 10));
        using var consumer = cluster.Consumer("retention-test");
        consumer.Assign(new TopicPartitionOffset(partition, offsets.Low));
        var first = consumer.Consume(TimeSpan.FromSeconds(10));
        Assert.Equal("m" + offsets.Low.Value, first?.Message.Value);
        var untouched = consumer.QueryWatermarkOffsets(new TopicPartition(cluster.Topics.Inbound, 0), TimeSpan.FromSeconds(5));
        Assert.Equal(0, untouched.High.Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task EmbeddedClusterKeepsWhatAGroupOrAReaderOfThisProcessHasNotReadAndTrimsOnceTheyMoveOn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await RetentionCluster.StartAsync(new HostSettings { Kafka = { EmbeddedRetainedRecords = Retained, Partitions = 1 } }, ct);
        var readers = cluster.Services.GetRequiredService<RetentionReaders>();
        var (grouped, read, free) = (new TopicPartition(cluster.Topics.Inbound, 0), new TopicPartition(cluster.Topics.Outbound, 0), new TopicPartition(cluster.Topics.DeadLetter, 0));
        var group = readers.AddGroup("lagging", cluster.Topics.Inbound);
        group.Report(0, 50);
        var position = 20L;
        using var reader = readers.AddReader(cluster.Topics.Outbound, _ => Interlocked.Read(ref position));
        foreach (var partition in new[] { grouped, read, free })
        {
            cluster.Produce(partition, 1_000, ct);
        }

        // Partitions are trimmed in order, inbound first and the dead-letter topic last, so once the last one is
        // trimmed, the pass has looked at the two others.
        await cluster.WaitTrimmedAsync(free, ct);
        var metrics = new MetricsRecorder(cluster.Services, KafkaMetrics.MeterName);
        using (metrics)
        {
            Assert.InRange(cluster.Watermarks(grouped).Low.Value, 0, 50);
            Assert.InRange(cluster.Watermarks(read).Low.Value, 0, 20);

            // The group's partition is still whole after a second full pass (the free partition trimmed again).
            cluster.Produce(free, 1_000, ct);
            await cluster.WaitTrimmedAsync(free, ct, above: 1_000);
            Assert.InRange(cluster.Watermarks(grouped).Low.Value, 0, 50);

            group.Report(0, 990);
            Interlocked.Exchange(ref position, 950);
            var trimmedGroup = await cluster.WaitTrimmedAsync(grouped, ct, above: 50);
            var trimmedReader = await cluster.WaitTrimmedAsync(read, ct, above: 20);
            Assert.Equal(1_000 - Retained, trimmedGroup.Low.Value);
            Assert.Equal(1_000 - Retained, trimmedReader.Low.Value);
            Assert.Equal(0, metrics.Sum("brokerchat.kafka.embedded.trimmed_unread", "topic", cluster.Topics.Inbound));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task AReaderStuckPastTheHardCapLosesItsOldestRecordsAndTheyAreCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await RetentionCluster.StartAsync(new HostSettings { Kafka = { EmbeddedRetainedRecords = Retained, EmbeddedRetentionMaxRecords = 300, Partitions = 1 } }, ct);
        using var metrics = new MetricsRecorder(cluster.Services, KafkaMetrics.MeterName);
        var partition = new TopicPartition(cluster.Topics.Inbound, 0);
        cluster.Services.GetRequiredService<RetentionReaders>().AddGroup("stuck", cluster.Topics.Inbound).Report(0, 0);
        cluster.Produce(partition, 1_000, ct);

        var offsets = await cluster.WaitTrimmedAsync(partition, ct);
        Assert.Equal(700, offsets.Low.Value);
        await Wait.UntilAsync(() => metrics.Sum("brokerchat.kafka.embedded.trimmed_unread", "topic", cluster.Topics.Inbound) > 0, ct);
        Assert.Equal(700, metrics.Sum("brokerchat.kafka.embedded.trimmed_unread", "topic", cluster.Topics.Inbound));
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => RetentionCluster.Validate(new HostSettings { Kafka = { EmbeddedRetainedRecords = 1_000, EmbeddedRetentionMaxRecords = 999 } }));
    }

    [Fact(Timeout = 60_000)]
    public async Task AGroupWhosePositionNoMemberHereReportedIsKeptWholeUpToTheHardCapThenCountedAsPossiblyUnread()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await RetentionCluster.StartAsync(new HostSettings { Kafka = { EmbeddedRetainedRecords = Retained, EmbeddedRetentionMaxRecords = 500, Partitions = 1 } }, ct);
        using var metrics = new MetricsRecorder(cluster.Services, KafkaMetrics.MeterName);
        var (unknown, free) = (new TopicPartition(cluster.Topics.Inbound, 0), new TopicPartition(cluster.Topics.DeadLetter, 0));
        // Its members run elsewhere: nothing here says where the group is.
        cluster.Services.GetRequiredService<RetentionReaders>().AddGroup("elsewhere", cluster.Topics.Inbound);
        cluster.Produce(unknown, 400, ct);
        cluster.Produce(free, 1_000, ct);

        // A pass has looked at the group's partition once the last partition of a pass is trimmed: under the cap it is whole.
        await cluster.WaitTrimmedAsync(free, ct);
        Assert.Equal(0, cluster.Watermarks(unknown).Low.Value);

        cluster.Produce(unknown, 600, ct);
        var offsets = await cluster.WaitTrimmedAsync(unknown, ct);
        Assert.Equal(500, offsets.Low.Value);
        await Wait.UntilAsync(() => metrics.Sum("brokerchat.kafka.embedded.trimmed_unread", "topic", cluster.Topics.Inbound) == 500, ct);
    }

    [Fact(Timeout = 90_000)]
    public async Task TheRetentionOutlivesEveryBrokerGoingDownWithReadersReportingAndTrimsAgainOnceTheyAreBack()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await RetentionCluster.StartAsync(new HostSettings { Kafka = { EmbeddedRetainedRecords = Retained, Partitions = 1 } }, ct);
        using var metrics = new MetricsRecorder(cluster.Services, KafkaMetrics.MeterName);
        var readers = cluster.Services.GetRequiredService<RetentionReaders>();
        var group = readers.AddGroup("functions", cluster.Topics.Inbound);
        var position = 0L;
        using var reader = readers.AddReader(cluster.Topics.Outbound, _ => Interlocked.Read(ref position));
        var (grouped, read) = (new TopicPartition(cluster.Topics.Inbound, 0), new TopicPartition(cluster.Topics.Outbound, 0));
        cluster.Produce(grouped, 1_000, ct);
        cluster.Produce(read, 1_000, ct);
        await Wait.UntilAsync(() => metrics.Sum("brokerchat.kafka.embedded.retention_passes", "outcome", "done") > 0, ct);

        var embedded = (EmbeddedKafkaCluster)cluster.Services.GetRequiredService<KafkaEndpoint>().Embedded!;
        for (var broker = 1; broker <= embedded.BrokerCount; broker++)
        {
            embedded.SetBrokerDown(broker);
        }

        try
        {
            // Passes fail while the brokers are away, the readers move on meanwhile, and the process lives on.
            var failedBefore = metrics.Sum("brokerchat.kafka.embedded.retention_passes", "outcome", "failed");
            for (var i = 1; i <= 2; i++)
            {
                group.Report(0, 450 * i);
                Interlocked.Exchange(ref position, 450 * i);
                var failed = failedBefore + i;
                await Wait.UntilAsync(() => metrics.Sum("brokerchat.kafka.embedded.retention_passes", "outcome", "failed") >= failed, ct);
            }
        }
        finally
        {
            for (var broker = 1; broker <= embedded.BrokerCount; broker++)
            {
                embedded.SetBrokerUp(broker);
            }
        }

        // Back: trimmed up to where the readers got to while the brokers were away, and no further.
        Assert.Equal(900, (await cluster.WaitTrimmedAsync(grouped, ct)).Low.Value);
        Assert.Equal(900, (await cluster.WaitTrimmedAsync(read, ct)).Low.Value);
        Assert.Equal(0, metrics.Sum("brokerchat.kafka.embedded.trimmed_unread", "topic", cluster.Topics.Inbound));
    }

    [Fact(Timeout = 180_000)]
    public async Task FunctionsThatStartLateHandleABacklogOfThreeTimesTheRetainedCountAndLoseNothing()
    {
        KafkaForTheRun.RequireEmbedded("it checks the embedded cluster's retention");
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Kafka = { EmbeddedRetainedRecords = Retained, Partitions = 2 },
            Functions = { InProcessWorkers = 0 },
        }.WithoutRateLimits());
        var endpoint = host.Services.GetRequiredService<KafkaEndpoint>();
        var factory = host.Services.GetRequiredService<KafkaClientFactory>();
        await using var reader = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("late", "reader"), cancellationToken: ct);
        await using var sender = await WebPubSubTestClient.ConnectUrlAsync(host.ClientUrl("late", "sender"), cancellationToken: ct);
        Assert.True((await reader.JoinGroupAsync("room", ct))!.Success);
        const int count = 3 * Retained;
        for (var i = 0; i < count; i++)
        {
            await sender.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "room", ["dataType"] = "json", ["data"] = new JsonObject { ["n"] = i } }, withAck: false, ct);
        }

        await sender.PingAsync(ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
        // A trim pass has looked at the inbound topic once the dead-letter topic (the last one a pass looks at) is trimmed.
        var last = new TopicPartition(endpoint.Topics.DeadLetter, 1);
        using (var producer = new ProducerBuilder<Null, string>(factory.ProducerConfig("late-test")).Build())
        {
            RetentionCluster.Produce(producer, last, 3 * Retained, ct);
        }

        using (var consumer = new ConsumerBuilder<Ignore, string>(factory.ConsumerConfig("late-test", "late-test")).Build())
        {
            await Wait.UntilAsync(() => consumer.QueryWatermarkOffsets(last, TimeSpan.FromSeconds(5)).Low.Value > 0, ct);
        }

        await using var functions = FunctionsProcess.Start(host, new HostSettings().WithoutRateLimits());
        var received = new HashSet<int>();
        while (received.Count < count)
        {
            var message = await reader.NextMessageAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
            received.Add((int)message["data"]!["n"]!);
        }

        Assert.Equal(Enumerable.Range(0, count), received.Order());
    }

    /// <summary>An embedded cluster with its retention, and nothing else.</summary>
    private sealed class RetentionCluster : IAsyncDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly List<IHostedService> _hosted;
        private readonly KafkaClientFactory _factory;
        private readonly IConsumer<Ignore, string> _watermarks;

        private RetentionCluster(ServiceProvider provider, List<IHostedService> hosted)
        {
            (_provider, _hosted) = (provider, hosted);
            _factory = provider.GetRequiredService<KafkaClientFactory>();
            _watermarks = Consumer("retention-watermarks");
        }

        public IServiceProvider Services => _provider;

        public Contracts.Topics.KafkaTopics Topics => _factory.Topics;

        public static async Task<RetentionCluster> StartAsync(HostSettings settings, CancellationToken ct)
        {
            var provider = Register(settings).BuildServiceProvider();
            var hosted = provider.GetServices<IHostedService>().ToList();
            foreach (var service in hosted)
            {
                await service.StartAsync(ct);
            }

            return new RetentionCluster(provider, hosted);
        }

        /// <summary>Validates the Kafka options as startup does.</summary>
        public static void Validate(HostSettings settings)
        {
            using var provider = Register(settings).BuildServiceProvider();
            _ = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<KafkaOptions>>().Value;
        }

        public static void Produce(IProducer<Null, string> producer, TopicPartition partition, int count, CancellationToken ct)
        {
            // In batches of 50: the cluster drops whole batches only.
            for (var i = 0; i < count; i++)
            {
                producer.Produce(partition, new Message<Null, string> { Value = "m" + i });
                if (i % 50 == 49)
                {
                    producer.Flush(ct);
                }
            }

            producer.Flush(ct);
        }

        public IConsumer<Ignore, string> Consumer(string name) => new ConsumerBuilder<Ignore, string>(_factory.ConsumerConfig(name, name)).Build();

        public void Produce(TopicPartition partition, int count, CancellationToken ct)
        {
            using var producer = new ProducerBuilder<Null, string>(_factory.ProducerConfig("retention-test")).Build();
            Produce(producer, partition, count, ct);
        }

        public WatermarkOffsets Watermarks(TopicPartition partition) => _watermarks.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(5));

        /// <summary>Waits until the partition's log starts past <paramref name="above"/>.</summary>
        public async Task<WatermarkOffsets> WaitTrimmedAsync(TopicPartition partition, CancellationToken ct, long above = 0)
        {
            WatermarkOffsets offsets = new(0, 0);
            await Wait.UntilAsync(() =>
            {
                try
                {
                    offsets = Watermarks(partition);
                }
                catch (KafkaException)
                {
                    return false; // the brokers are coming back
                }

                return offsets.Low.Value > above;
            }, ct);
            return offsets;
        }

        public async ValueTask DisposeAsync()
        {
            _watermarks.Dispose();
            foreach (var service in Enumerable.Reverse(_hosted))
            {
                await service.StopAsync(CancellationToken.None);
            }

            await _provider.DisposeAsync();
        }

        private static IServiceCollection Register(HostSettings settings) => new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddMetrics()
            .AddBrokerChatKafka(settings.BuildConfiguration())
            .AddBrokerChatEmbeddedKafka();
    }
}
