using System.Diagnostics;
using System.Globalization;
using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Hosting;
using BrokerChat.Kafka.Embedded;
using Confluent.Kafka;

namespace BrokerChat.LoadTool;

/// <summary>
/// <c>functions-throughput</c>: how many requests per second one functions process handles. Fills the inbound topic
/// of an embedded Kafka (in this process) with sendToGroup requests spread over many rooms, then starts one
/// standalone functions process (one worker) on it and times it from its first delivery to its last: the requests
/// handled per second, each validated, encoded and produced to the outbound topic and acknowledged by Kafka.
/// </summary>
/// <example><c>dotnet run -c Release --project tests/BrokerChat.LoadTool -- functions-throughput --records 200000 --rooms 500 --payload 100</c></example>
internal static class FunctionsThroughput
{
    private const int Partitions = 12;

    public static async Task<int> RunAsync(string[] args)
    {
        var records = Program.Int(args, "--records", 200_000);
        var rooms = Program.Int(args, "--rooms", 500);
        var payloadBytes = Program.Int(args, "--payload", 100);
        var payload = Encoding.UTF8.GetBytes(new string('x', payloadBytes));
        Console.WriteLine($"{records:N0} requests over {rooms:N0} rooms ({payloadBytes} B payloads)");
        return await MeasureAsync(records, i =>
        {
            var room = $"room{i % rooms}";
            var frame = new InboundFrame
            {
                Kind = InboundKind.SendToGroup,
                Hub = "bench",
                Group = room,
                ConnectionId = $"conn{i % rooms}",
                ConnectorId = "bench",
                UserId = $"user{i % rooms}",
                Roles = [Permissions.SendToGroup],
                AckId = (ulong)i + 1,
                DataType = DataType.Text,
                Payload = payload,
                ReceivedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            };
            return (PartitionKeys.Room("bench", room), frame);
        }, [], "requests");
    }

    /// <summary>
    /// Fills the inbound topic of an embedded Kafka with the <paramref name="records"/> records <paramref name="record"/>
    /// makes (key and request), starts one functions process with <paramref name="workerArgs"/> on it and times it from
    /// its first delivery to its last; <paramref name="what"/> names the records in the report.
    /// </summary>
    public static async Task<int> MeasureAsync(int records, Func<int, (byte[] Key, InboundFrame Frame)> record, IReadOnlyList<string> workerArgs, string what)
    {
        var topics = new KafkaTopics();
        using var cluster = new EmbeddedKafkaCluster(3);
        foreach (var topic in topics.All)
        {
            cluster.CreateTopic(topic, Partitions);
        }

        Console.WriteLine($"embedded Kafka {cluster.BootstrapServers}; filling {topics.Inbound} with {records:N0} {what}");
        var fill = Stopwatch.StartNew();
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            LingerMs = 20,
            EnableIdempotence = true,
            Partitioner = Partitioner.Murmur2Random,
            QueueBufferingMaxMessages = 1_000_000,
        }).Build())
        {
            for (var i = 0; i < records; i++)
            {
                var (key, frame) = record(i);
                producer.Produce(topics.Inbound, new Message<byte[], byte[]> { Key = key, Value = ContractSerializer.Serialize(frame) });
            }

            producer.Flush(TimeSpan.FromMinutes(2));
        }

        Console.WriteLine($"filled in {fill.Elapsed.TotalSeconds:F1} s; starting one functions process");
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        using var watcher = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "throughput-watcher" }).Build();
        var outbound = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topics.Outbound, p)).ToArray();
        long Delivered() => outbound.Sum(tp => watcher.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value);

        var functions = Path.Combine(AppContext.BaseDirectory, "BrokerChat.Functions.dll");
        using var worker = Process.Start(new ProcessStartInfo("dotnet",
        [
            functions, $"--Kafka:BootstrapServers={cluster.BootstrapServers}", "--Logging:LogLevel:Default=Warning",
            // Every request here is one room's steady stream from one user: no per-user limit should apply.
            "--Functions:Moderation:MessagesPerSecond=0",
            .. workerArgs,
        ])
        { UseShellExecute = false })!;
        try
        {
            var started = Stopwatch.StartNew();
            long first;
            while ((first = Delivered()) == 0)
            {
                if (started.Elapsed > TimeSpan.FromMinutes(2))
                {
                    Console.Error.WriteLine("the functions process delivered nothing within 2 minutes");
                    return 1;
                }

                await Task.Delay(20);
            }

            var clock = Stopwatch.StartNew();
            var cpuStart = worker.TotalProcessorTime;
            long done;
            var samples = new List<string>();
            var nextSample = TimeSpan.FromSeconds(1);
            while ((done = Delivered()) < records)
            {
                await Task.Delay(50);
                if (clock.Elapsed >= nextSample)
                {
                    samples.Add(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds:F0}s:{done:N0}"));
                    nextSample += TimeSpan.FromSeconds(1);
                }

                if (clock.Elapsed > TimeSpan.FromMinutes(10))
                {
                    Console.Error.WriteLine($"only {done:N0} of {records:N0} delivered after 10 minutes");
                    return 1;
                }
            }

            var seconds = clock.Elapsed.TotalSeconds; // at most one 50 ms poll late
            worker.Refresh();
            var cpu = (worker.TotalProcessorTime - cpuStart).TotalSeconds;
            var handled = done - first;
            Console.WriteLine($"progress: {string.Join("  ", samples)}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"one functions process: {handled:N0} {what} in {seconds:F2} s = {handled / seconds:N0} {what}/s; worker CPU {cpu:F1} s ({cpu / seconds * 100:F0}% of one core, {cpu * 1000 / handled * 1000:F0} µs each); {Environment.ProcessorCount} cores shared with the embedded Kafka and this process"));
            return 0;
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
            }

            await worker.WaitForExitAsync();
        }
    }
}
