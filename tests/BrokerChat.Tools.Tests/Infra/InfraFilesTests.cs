using System.Text.Json;
using System.Text.RegularExpressions;
using BrokerChat.Connector;
using BrokerChat.Connector.Hosting;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions;
using BrokerChat.Functions.Hosting;
using Microsoft.AspNetCore.Routing;
using YamlDotNet.RepresentationModel;

namespace BrokerChat.Tools.Tests.Infra;

/// <summary>
/// Static checks of the deployment files under infra/ (and the shipped Azure Functions app): they parse, name the
/// images the Dockerfiles build, use the ports the apps listen on, set only configuration keys the apps read, probe
/// endpoints that exist, and stop no faster than the apps drain.
/// </summary>
public sealed partial class InfraFilesTests
{
    private static readonly string[] Images = ["connector", "functions"];

    [Fact]
    public void EveryYamlAndJsonFileUnderInfraAndTheAzureAppParses()
    {
        var yaml = RepoFiles.Under("infra", ".yaml", ".yml");
        var json = RepoFiles.Under("infra", ".json").Concat(RepoFiles.Under("functions/azure-app", ".json")).ToList();

        foreach (var file in yaml)
        {
            var documents = LoadYaml(file);
            Assert.True(documents.Count > 0, $"{file} holds no YAML document");
        }

        foreach (var file in json)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(RepoFiles.PathOf(file)), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }

        Assert.Contains("infra/compose/docker-compose.yml", yaml);
        Assert.Contains("infra/k8s/connector.yaml", yaml);
        Assert.Contains("functions/azure-app/host.json", json);
    }

    [Fact]
    public void EveryKubernetesObjectHasAnApiVersionKindAndName()
    {
        foreach (var (file, manifest) in KubernetesObjects())
        {
            Assert.False(string.IsNullOrEmpty(Scalar(manifest, "apiVersion")), $"{file}: apiVersion");
            Assert.False(string.IsNullOrEmpty(Scalar(manifest, "kind")), $"{file}: kind");
            if (Scalar(manifest, "kind") != "Kustomization")
            {
                Assert.False(string.IsNullOrEmpty(Scalar(manifest, "metadata", "name")), $"{file}: metadata.name");
            }
        }

        var kustomization = LoadYaml("infra/k8s/kustomization.yaml").Single();
        var listed = Sequence(kustomization, "resources").Select(n => ((YamlScalarNode)n).Value!).ToList();
        Assert.All(listed, resource => Assert.True(File.Exists(RepoFiles.PathOf($"infra/k8s/{resource}")), resource));
        Assert.DoesNotContain("secret.template.yaml", listed);
    }

    [Fact]
    public void ImagesAreTheOnesTheDockerfilesBuild()
    {
        foreach (var image in Images)
        {
            Assert.True(File.Exists(RepoFiles.PathOf($"infra/docker/{image}.Dockerfile")), image);
        }

        var compose = Compose();
        foreach (var (name, service) in Services(compose).Where(s => Scalar(s.Service, "image")?.StartsWith("brokerchat/", StringComparison.Ordinal) == true))
        {
            var image = ImageName(Scalar(service, "image")!);
            Assert.Contains(image, Images);
            Assert.Equal($"infra/docker/{image}.Dockerfile", Scalar(service, "build", "dockerfile"));
            Assert.Equal("../..", Scalar(service, "build", "context"));
        }

        var k8sImages = Containers().Select(c => Scalar(c.Container, "image")!).ToList();
        Assert.Equal(Images, k8sImages.Select(ImageName).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ContainerPortsAreThePortsTheAppsListenOn()
    {
        // The connector listens on ASPNETCORE_HTTP_PORTS (8080 in the image); the functions on Functions:HealthUrls.
        var connector = File.ReadAllText(RepoFiles.PathOf("infra/docker/connector.Dockerfile"));
        var functions = File.ReadAllText(RepoFiles.PathOf("infra/docker/functions.Dockerfile"));
        var ports = new Dictionary<string, int>
        {
            ["connector"] = int.Parse(HttpPorts().Match(connector).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            ["functions"] = new Uri(HealthUrls().Match(functions).Groups[1].Value.Replace("+", "localhost", StringComparison.Ordinal)).Port,
        };
        Assert.Contains($"EXPOSE {ports["connector"]}", connector, StringComparison.Ordinal);
        Assert.Contains($"/dev/tcp/127.0.0.1/{ports["connector"]}", connector, StringComparison.Ordinal);
        Assert.Contains($"EXPOSE {ports["functions"]}", functions, StringComparison.Ordinal);
        Assert.Contains($"/dev/tcp/127.0.0.1/{ports["functions"]}", functions, StringComparison.Ordinal);

        foreach (var (file, container) in Containers())
        {
            var image = ImageName(Scalar(container, "image")!);
            var declared = Sequence(container, "ports").Select(p => int.Parse(Scalar(p, "containerPort")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.True(declared.SequenceEqual([ports[image]]), $"{file}: {image} declares ports [{string.Join(",", declared)}], listens on {ports[image]}");
            var healthUrls = Sequence(container, "env").FirstOrDefault(e => Scalar(e, "name") == "Functions__HealthUrls");
            if (healthUrls is not null)
            {
                Assert.Equal(ports["functions"], new Uri(Scalar(healthUrls, "value")!.Replace("+", "localhost", StringComparison.Ordinal)).Port);
            }
        }

        var nginx = File.ReadAllText(RepoFiles.PathOf("infra/compose/nginx.conf"));
        var upstreams = UpstreamServer().Matches(nginx).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(upstreams);
        Assert.All(upstreams, port => Assert.Equal(ports["connector"], port));
        Assert.Contains("proxy_set_header Upgrade $http_upgrade", nginx, StringComparison.Ordinal);

        var bicep = File.ReadAllText(RepoFiles.PathOf("infra/azure/main.bicep"));
        Assert.Contains($"targetPort: {ports["connector"]}", bicep, StringComparison.Ordinal);
        Assert.Contains($"'Functions__HealthUrls', value: 'http://+:{ports["functions"]}'", bicep, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryEnvironmentVariableSetsAConfigurationKeyTheAppsRead()
    {
        var variables = EnvironmentVariables().ToList();
        Assert.Contains(variables, v => v.Name == "Kafka__ClientSettings__sasl.password");

        var unknown = variables
            .Where(v => !ConfigurationKeys.PlatformVariables.Contains(v.Name) && !ConfigurationKeys.Exists(ConfigurationKeys.FromEnvironmentVariable(v.Name)))
            .Select(v => $"{v.Name} ({v.File})")
            .ToList();

        Assert.True(unknown.Count == 0, $"No configuration key for: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void EnvironmentVariableCheckRejectsAMisspelledKey()
    {
        Assert.True(ConfigurationKeys.Exists(ConfigurationKeys.FromEnvironmentVariable("Auth__AccessKeys__0")));
        Assert.True(ConfigurationKeys.Exists(ConfigurationKeys.FromEnvironmentVariable("Functions__Hubs__kids__Links")));
        Assert.False(ConfigurationKeys.Exists(ConfigurationKeys.FromEnvironmentVariable("Kafka__BootstrapServer")));
        Assert.False(ConfigurationKeys.Exists(ConfigurationKeys.FromEnvironmentVariable("Functions__Hubs__Links")));
    }

    [Fact]
    public void ProbesAskEndpointsTheAppsServe()
    {
        var connectorEndpoints = Endpoints(ConnectorApp.Build(["--Kafka:BootstrapServers=127.0.0.1:9"]));
        var functionsEndpoints = Endpoints(FunctionsApp.Build(["--Kafka:BootstrapServers=127.0.0.1:9", "--Functions:HealthUrls=http://127.0.0.1:0"]));
        var served = new Dictionary<string, IReadOnlySet<string>> { ["connector"] = connectorEndpoints, ["functions"] = functionsEndpoints };
        Assert.Contains("/metrics", functionsEndpoints);

        var probes = 0;
        foreach (var (file, container) in Containers())
        {
            var image = ImageName(Scalar(container, "image")!);
            foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
            {
                var path = Scalar(container, probe, "httpGet", "path");
                Assert.True(path is not null, $"{file}: {image} has no {probe}");
                Assert.Contains(path, served[image]);
                probes++;
            }

            Assert.Equal("/readyz", Scalar(container, "readinessProbe", "httpGet", "path"));
            Assert.Equal("/healthz", Scalar(container, "livenessProbe", "httpGet", "path"));
        }

        var bicep = File.ReadAllText(RepoFiles.PathOf("infra/azure/main.bicep"));
        var bicepPaths = BicepProbePath().Matches(bicep).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(6, bicepPaths.Count);
        Assert.All(bicepPaths, path => Assert.Contains(path, connectorEndpoints.Intersect(functionsEndpoints)));
        Assert.Equal(6, probes);
    }

    [Fact]
    public void PodsAreGivenLongerToStopThanTheAppsTakeToDrain()
    {
        var connector = new ConnectorOptions();
        var functions = new FunctionsOptions();
        foreach (var (file, deployment) in KubernetesObjects().Where(o => Scalar(o.Manifest, "kind") == "Deployment"))
        {
            var spec = Child(deployment, "spec", "template", "spec")!;
            var grace = TimeSpan.FromSeconds(int.Parse(Scalar(spec, "terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture));
            var container = (YamlMappingNode)Sequence(spec, "containers").Single();
            var preStop = Scalar(container, "lifecycle", "preStop", "sleep", "seconds") is { } s ? TimeSpan.FromSeconds(int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)) : TimeSpan.Zero;
            // The hosts' own shutdown timeouts: ConnectorApp and FunctionsApp add 15 s to the drain.
            var needed = ImageName(Scalar(container, "image")!) == "connector"
                ? connector.ShutdownTimeout + connector.CloseTimeout + TimeSpan.FromSeconds(15)
                : functions.DrainTimeout + TimeSpan.FromSeconds(15);
            Assert.True(grace >= preStop + needed, $"{file}: {grace} to stop, the app may take {preStop + needed}");
        }
    }

    [Fact]
    public void KedaScalesOnTheFunctionsGroupLagAndNeverPastThePartitions()
    {
        var keda = LoadYaml("infra/k8s/functions-keda.yaml");
        var scaled = keda.Single(d => Scalar(d, "kind") == "ScaledObject");
        var auth = keda.Single(d => Scalar(d, "kind") == "TriggerAuthentication");
        var config = LoadYaml("infra/k8s/config.yaml").Single();
        var partitions = int.Parse(Scalar(config, "data", "Kafka__Partitions")!, System.Globalization.CultureInfo.InvariantCulture);
        var trigger = Sequence(scaled, "spec", "triggers").Single();

        Assert.Equal("kafka", Scalar(trigger, "type"));
        Assert.Equal(Scalar(config, "data", "Functions__GroupId"), Scalar(trigger, "metadata", "consumerGroup"));
        Assert.Equal(new FunctionsOptions().GroupId, Scalar(trigger, "metadata", "consumerGroup"));
        Assert.Equal(new KafkaTopics(KafkaTopics.DefaultPrefix).Inbound, Scalar(trigger, "metadata", "topic"));
        Assert.Equal(Scalar(config, "data", "Kafka__BootstrapServers"), Scalar(trigger, "metadata", "bootstrapServers"));
        Assert.True(int.Parse(Scalar(trigger, "metadata", "lagThreshold")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.InRange(int.Parse(Scalar(scaled, "spec", "maxReplicaCount")!, System.Globalization.CultureInfo.InvariantCulture), 1, partitions);
        Assert.Equal(Scalar(auth, "metadata", "name"), Scalar(trigger, "authenticationRef", "name"));
        Assert.Equal("brokerchat-functions", Scalar(scaled, "spec", "scaleTargetRef", "name"));
        var secretKeys = Sequence(auth, "spec", "secretTargetRef").Select(r => Scalar(r, "parameter")).ToList();
        Assert.Equal(["username", "password"], secretKeys);
    }

    [Fact]
    public void NoSecretIsCommitted()
    {
        var template = LoadYaml("infra/k8s/secret.template.yaml").Single();
        var values = ((YamlMappingNode)Child(template, "stringData")!).Children.Values.Select(v => ((YamlScalarNode)v).Value).ToList();
        Assert.All(values, v => Assert.Contains(v, new[] { "REPLACE_ME", "$ConnectionString" }));
        Assert.Contains("brokerchat.env", File.ReadAllLines(RepoFiles.PathOf("infra/compose/.gitignore")));
        var bicep = File.ReadAllText(RepoFiles.PathOf("infra/azure/main.bicep"));
        Assert.Contains("@secure()\n@minLength(32)\nparam accessKey string", bicep.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("SharedAccessKey=", bicep, StringComparison.Ordinal);
    }

    private static HashSet<string> Endpoints(Microsoft.Extensions.Hosting.IHost host)
    {
        using (host)
        {
            return ((IEndpointRouteBuilder)host).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
                .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/')).ToHashSet(StringComparer.Ordinal);
        }
    }

    private static IEnumerable<(string Name, string File)> EnvironmentVariables()
    {
        foreach (var (_, service) in Services(Compose()).Where(s => Scalar(s.Service, "image")?.StartsWith("brokerchat/", StringComparison.Ordinal) == true))
        {
            if (Child(service, "environment") is YamlMappingNode environment)
            {
                foreach (var name in MappingKeys(environment))
                {
                    yield return (name, "docker-compose.yml");
                }
            }
        }

        foreach (var file in RepoFiles.Under("infra", ".env.example"))
        {
            foreach (var line in File.ReadLines(RepoFiles.PathOf(file)).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#')))
            {
                yield return (line[..line.IndexOf('=', StringComparison.Ordinal)], file);
            }
        }

        foreach (var (file, container) in Containers())
        {
            foreach (var env in Sequence(container, "env"))
            {
                yield return (Scalar(env, "name")!, file);
            }
        }

        foreach (var (file, manifest) in KubernetesObjects().Where(o => Scalar(o.Manifest, "kind") == "ConfigMap"))
        {
            foreach (var name in MappingKeys((YamlMappingNode)Child(manifest, "data")!))
            {
                yield return (name, file);
            }
        }

        foreach (var file in new[] { "infra/docker/connector.Dockerfile", "infra/docker/functions.Dockerfile" })
        {
            foreach (Match match in DockerEnv().Matches(File.ReadAllText(RepoFiles.PathOf(file))))
            {
                yield return (match.Groups[1].Value, file);
            }
        }

        // Container Apps secrets share the { name: …, value: … } shape: leave their definitions out.
        var bicep = BicepSecrets().Replace(File.ReadAllText(RepoFiles.PathOf("infra/azure/main.bicep")), "");
        foreach (Match match in BicepEnv().Matches(bicep))
        {
            yield return (match.Groups[1].Value, "main.bicep");
        }
    }

    /// <summary>Keys of a compose mapping, with YAML merge keys (<c>&lt;&lt;: *anchor</c>) followed.</summary>
    private static IEnumerable<string> MappingKeys(YamlMappingNode mapping)
    {
        foreach (var (key, value) in mapping.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (name == "<<" && value is YamlMappingNode merged)
            {
                foreach (var inner in MappingKeys(merged))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return name;
            }
        }
    }

    private static string ImageName(string image) => image.Split(':')[0].Split('/')[^1];

    private static YamlMappingNode Compose() => LoadYaml("infra/compose/docker-compose.yml").Single();

    private static IEnumerable<(string Name, YamlMappingNode Service)> Services(YamlMappingNode compose) =>
        ((YamlMappingNode)Child(compose, "services")!).Children.Select(c => (((YamlScalarNode)c.Key).Value!, (YamlMappingNode)c.Value));

    private static IEnumerable<(string File, YamlMappingNode Manifest)> KubernetesObjects() =>
        RepoFiles.Under("infra/k8s", ".yaml").SelectMany(file => LoadYaml(file).Select(d => (file, d)));

    private static IEnumerable<(string File, YamlMappingNode Container)> Containers() =>
        KubernetesObjects().Where(o => Scalar(o.Manifest, "kind") == "Deployment")
            .SelectMany(o => Sequence(o.Manifest, "spec", "template", "spec", "containers").Select(c => (o.File, (YamlMappingNode)c)));

    private static List<YamlMappingNode> LoadYaml(string file)
    {
        using var reader = new StreamReader(RepoFiles.PathOf(file));
        var stream = new YamlStream();
        stream.Load(reader);
        return stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode, exactMatch: false)).ToList();
    }

    private static YamlNode? Child(YamlNode node, params string[] path)
    {
        foreach (var name in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(name), out var next))
            {
                return null;
            }

            node = next;
        }

        return node;
    }

    private static string? Scalar(YamlNode node, params string[] path) => (Child(node, path) as YamlScalarNode)?.Value;

    private static IEnumerable<YamlNode> Sequence(YamlNode node, params string[] path) =>
        Child(node, path) is YamlSequenceNode sequence ? sequence.Children : [];

    [GeneratedRegex(@"ASPNETCORE_HTTP_PORTS=(\d+)")]
    private static partial Regex HttpPorts();

    [GeneratedRegex(@"Functions__HealthUrls=(\S+)")]
    private static partial Regex HealthUrls();

    [GeneratedRegex(@"server\s+[\w.-]+:(\d+)")]
    private static partial Regex UpstreamServer();

    [GeneratedRegex(@"(?m)^(?:ENV\s+|\s+)([A-Za-z_][\w.]*)=", RegexOptions.None)]
    private static partial Regex DockerEnv();

    [GeneratedRegex(@"\{\s*name:\s*'([^']+)',\s*(?:value|secretRef):")]
    private static partial Regex BicepEnv();

    [GeneratedRegex(@"(?ms)^var kafkaSecrets = \[.*?^\]$|^\s*secrets:.*?$")]
    private static partial Regex BicepSecrets();

    [GeneratedRegex(@"httpGet:\s*\{\s*path:\s*'([^']+)'")]
    private static partial Regex BicepProbePath();
}
