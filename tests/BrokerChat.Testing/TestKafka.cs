using System.Net;
using System.Net.Sockets;
using System.Text;
using Testcontainers.Kafka;

namespace BrokerChat.Testing;

/// <summary>Which Kafka the test hosts run on.</summary>
public enum TestKafkaKind
{
    /// <summary>An existing cluster named by <see cref="TestKafka.ClusterVariable"/>.</summary>
    External,

    /// <summary>A real Apache Kafka (KRaft) in a container that Testcontainers starts once per test run.</summary>
    Container,

    /// <summary>The embedded cluster each connector hosts in process (the librdkafka mock cluster).</summary>
    Embedded,
}

/// <summary>The Kafka chosen for a test run, and why.</summary>
/// <param name="Kind">Which kind of cluster.</param>
/// <param name="BootstrapServers">The cluster's bootstrap list for <see cref="TestKafkaKind.External"/>; otherwise null.</param>
/// <param name="Reason">Why this one was chosen, for the test output.</param>
public sealed record TestKafkaChoice(TestKafkaKind Kind, string? BootstrapServers, string Reason)
{
    /// <summary>True when every host runs its own embedded cluster (fault injection, the mock's short session timeout).</summary>
    public bool IsEmbedded => Kind == TestKafkaKind.Embedded;

    /// <summary>One line for the test output.</summary>
    public string Describe() => Kind switch
    {
        TestKafkaKind.External => $"Kafka for the test hosts: existing cluster at {BootstrapServers} ({Reason})",
        TestKafkaKind.Container => $"Kafka for the test hosts: Apache Kafka in a container started by Testcontainers ({Reason})",
        _ => $"Kafka for the test hosts: embedded cluster in each host ({Reason})",
    };
}

/// <summary>
/// The Kafka of a test run, chosen once per process: <see cref="ClusterVariable"/> names an existing cluster (or is
/// <c>embedded</c>);
/// otherwise, when a Docker engine answers, Testcontainers starts Apache Kafka (KRaft) for the whole run;
/// otherwise each host runs the embedded cluster.
/// </summary>
public static class TestKafka
{
    /// <summary>Environment variable naming an existing cluster's bootstrap servers (<c>host:port,...</c>).</summary>
    public const string ClusterVariable = "BROKERCHAT_TEST_KAFKA";

    /// <summary>The value of <see cref="ClusterVariable"/> that asks for the embedded cluster even where Docker answers.</summary>
    public const string EmbeddedValue = "embedded";

    /// <summary>Environment variable overriding the container image. The default is <see cref="DefaultImage"/>.</summary>
    public const string ImageVariable = "BROKERCHAT_TEST_KAFKA_IMAGE";

    /// <summary>The Apache Kafka image started when Docker is available: 4.x, so the functions' KIP-848 group protocol works.</summary>
    public const string DefaultImage = "apache/kafka:4.1.0";

    private static readonly Lazy<TestKafkaChoice> Chosen = new(() => Choose(Environment.GetEnvironmentVariable, () => DockerProbe.Answers(Environment.GetEnvironmentVariable, TimeSpan.FromSeconds(3))));
    private static readonly SemaphoreSlim ContainerLock = new(1, 1);
    private static KafkaContainer? _container;

    /// <summary>The choice for this process (made on first use).</summary>
    public static TestKafkaChoice Current => Chosen.Value;

    /// <summary>Chooses the Kafka of a run from the environment and whether a Docker engine answers (asked only when needed).</summary>
    public static TestKafkaChoice Choose(Func<string, string?> environment, Func<bool> dockerAnswers)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(dockerAnswers);
        if (environment(ClusterVariable) is { } cluster && !string.IsNullOrWhiteSpace(cluster))
        {
            if (string.Equals(cluster.Trim(), EmbeddedValue, StringComparison.OrdinalIgnoreCase))
            {
                return new TestKafkaChoice(TestKafkaKind.Embedded, null, $"{ClusterVariable}={EmbeddedValue}");
            }

            return new TestKafkaChoice(TestKafkaKind.External, cluster.Trim(), $"{ClusterVariable} is set");
        }

        return dockerAnswers()
            ? new TestKafkaChoice(TestKafkaKind.Container, null, $"{ClusterVariable} is not set and a Docker engine answers")
            : new TestKafkaChoice(TestKafkaKind.Embedded, null, $"{ClusterVariable} is not set and no Docker engine answers");
    }

    /// <summary>
    /// The bootstrap servers a host should use: the external cluster's, the container's (started on first call),
    /// or empty for the embedded cluster.
    /// </summary>
    public static async Task<string> BootstrapServersAsync(CancellationToken cancellationToken = default)
    {
        var choice = Current;
        if (choice.Kind != TestKafkaKind.Container)
        {
            return choice.BootstrapServers ?? "";
        }

        await ContainerLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_container is null)
            {
                var image = Environment.GetEnvironmentVariable(ImageVariable) is { Length: > 0 } custom ? custom : DefaultImage;
                var container = new KafkaBuilder(image).WithVendor(KafkaVendor.ApacheSoftwareFoundation).WithKRaft().Build();
                await container.StartAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(3), cancellationToken).ConfigureAwait(false);
                _container = container;
            }

            return _container.GetBootstrapAddress();
        }
        finally
        {
            ContainerLock.Release();
        }
    }

    /// <summary>Stops the container, if this run started one.</summary>
    public static async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _container, null) is { } container)
        {
            await container.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Whether a Docker engine answers <c>GET /_ping</c> at <c>DOCKER_HOST</c> or the default socket.</summary>
public static class DockerProbe
{
    /// <summary>The default Docker socket on Linux.</summary>
    public const string DefaultSocket = "/var/run/docker.sock";

    /// <summary>True when the engine named by <c>DOCKER_HOST</c> (unix:// or tcp://), or the default socket, answers within <paramref name="timeout"/>.</summary>
    public static bool Answers(Func<string, string?> environment, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var host = environment("DOCKER_HOST");
        EndPoint endpoint;
        if (string.IsNullOrWhiteSpace(host))
        {
            if (!File.Exists(DefaultSocket))
            {
                return false;
            }

            endpoint = new UnixDomainSocketEndPoint(DefaultSocket);
        }
        else if (host.StartsWith("unix://", StringComparison.Ordinal))
        {
            endpoint = new UnixDomainSocketEndPoint(host["unix://".Length..]);
        }
        else if (Uri.TryCreate(host, UriKind.Absolute, out var uri) && uri.Scheme == "tcp" && uri.Port > 0)
        {
            endpoint = new DnsEndPoint(uri.Host, uri.Port);
        }
        else
        {
            return false; // TLS-protected or unusual engines: name the cluster with BROKERCHAT_TEST_KAFKA instead
        }

        try
        {
            return PingAsync(endpoint, timeout).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or TimeoutException)
        {
            return false;
        }
    }

    private static async Task<bool> PingAsync(EndPoint endpoint, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
        await socket.SendAsync("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"u8.ToArray(), cts.Token).ConfigureAwait(false);
        var buffer = new byte[256];
        var read = await socket.ReceiveAsync(buffer, cts.Token).ConfigureAwait(false);
        var status = Encoding.ASCII.GetString(buffer, 0, read);
        return status.StartsWith("HTTP/1.", StringComparison.Ordinal) && status.Contains(" 200 ", StringComparison.Ordinal);
    }
}
