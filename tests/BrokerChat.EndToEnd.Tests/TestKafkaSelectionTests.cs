using System.Net;
using System.Net.Sockets;
using System.Text;
using BrokerChat.Kafka;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>How a test run picks its Kafka: a named cluster, else a container when Docker answers, else the embedded cluster.</summary>
public sealed class TestKafkaSelectionTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void NamedClusterIsUsedWithoutAskingDocker()
    {
        var choice = TestKafka.Choose(Env((TestKafka.ClusterVariable, " kafka-1:9092,kafka-2:9092 ")), () => throw new InvalidOperationException("Docker was asked"));

        Assert.Equal(TestKafkaKind.External, choice.Kind);
        Assert.Equal("kafka-1:9092,kafka-2:9092", choice.BootstrapServers);
        Assert.Contains("existing cluster at kafka-1:9092,kafka-2:9092", choice.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void EmbeddedCanBeAskedForWithoutAskingDocker()
    {
        var choice = TestKafka.Choose(Env((TestKafka.ClusterVariable, "Embedded")), () => throw new InvalidOperationException("Docker was asked"));

        Assert.Equal(TestKafkaKind.Embedded, choice.Kind);
        Assert.Null(choice.BootstrapServers);
    }

    [Fact]
    public void AnsweringDockerEngineGetsAContainerWhenNoClusterIsNamed()
    {
        var choice = TestKafka.Choose(Env((TestKafka.ClusterVariable, "  ")), () => true);

        Assert.Equal(TestKafkaKind.Container, choice.Kind);
        Assert.Null(choice.BootstrapServers);
        Assert.Contains("Testcontainers", choice.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutClusterOrDockerEveryHostRunsTheEmbeddedCluster()
    {
        var choice = TestKafka.Choose(Env(), () => false);

        Assert.Equal(TestKafkaKind.Embedded, choice.Kind);
        Assert.True(choice.IsEmbedded);
        Assert.Contains("no Docker engine answers", choice.Describe(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task DockerProbeAcceptsOnlyAnEngineThatAnswersItsPing()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.False(DockerProbe.Answers(Env(("DOCKER_HOST", "unix:///nonexistent/docker.sock")), TimeSpan.FromSeconds(2)));
        Assert.False(DockerProbe.Answers(Env(("DOCKER_HOST", "ssh://somewhere")), TimeSpan.FromSeconds(2)));

        Assert.True(await ProbeAgainstAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", ct));
        Assert.False(await ProbeAgainstAsync("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task HostsRunOnTheChosenKafkaWithTopicsOfTheirOwn()
    {
        var ct = TestContext.Current.CancellationToken;
        var choice = TestKafka.Current;
        TestContext.Current.TestOutputHelper?.WriteLine(choice.Describe());
        await using var first = await BrokerChatHost.StartAsync();
        await using var second = await BrokerChatHost.StartAsync(new HostSettings { Functions = { InProcessWorkers = 0 } });

        var endpoint = first.Services.GetRequiredService<KafkaEndpoint>();
        Assert.Equal(choice.IsEmbedded, endpoint.Embedded is not null);
        if (choice.Kind == TestKafkaKind.External)
        {
            Assert.Equal(choice.BootstrapServers, endpoint.BootstrapServers);
        }

        Assert.NotEqual(first.TopicPrefix, second.TopicPrefix);
        Assert.NotEqual(first.FunctionsGroupId, second.FunctionsGroupId);
        Assert.StartsWith(first.TopicPrefix, endpoint.Topics.Inbound, StringComparison.Ordinal);
        Assert.Equal(first.TopicPrefix, first.JoinSettings.Kafka.TopicPrefix);
        Assert.Equal(endpoint.BootstrapServers, first.JoinSettings.Kafka.BootstrapServers);

        // A second connector joined through those settings shares the first one's rooms.
        await using var joined = await SecondConnector.StartAsync(first);
        await using var alice = await first.ConnectAsync("kafka", "alice", ct);
        await using var bob = await joined.ConnectAsync("kafka", "bob", ct);
        Assert.Equal(first.TopicPrefix, joined.TopicPrefix);
        Assert.True((await bob.JoinGroupAsync("room", ct))!.Success);
        Assert.True((await alice.SendToGroupAsync("room", "across connectors", cancellationToken: ct))!.Success);
        Assert.Equal("across connectors", (string?)(await bob.NextMessageAsync(ct))["data"]);
    }

    private static async Task<bool> ProbeAgainstAsync(string answer, CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(ct);
            var stream = client.GetStream();
            var request = new byte[1024];
            var read = await stream.ReadAsync(request, ct);
            Assert.StartsWith("GET /_ping ", Encoding.ASCII.GetString(request, 0, read), StringComparison.Ordinal);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), ct);
        }, ct);

        var answered = await Task.Run(() => DockerProbe.Answers(Env(("DOCKER_HOST", $"tcp://127.0.0.1:{port}")), TimeSpan.FromSeconds(5)), ct);
        await server.WaitAsync(TimeSpan.FromSeconds(10), ct);
        return answered;
    }
}
