using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Mono.Cecil;

namespace BrokerChat.Architecture.Tests;

/// <summary>
/// The production projects hold no dev-mode parts: the embedded Kafka lives in its own assembly, and the connector
/// uses the function workers and the embedded Kafka only from its local-run folder, so a deployment builds without them.
/// </summary>
public sealed partial class ProductBoundaryTests
{
    private static readonly string[] DevModeAssemblies = ["BrokerChat.Functions", "BrokerChat.Kafka.Embedded"];

    [Fact]
    public void OnlyTheConnectorsLocalRunFolderUsesTheWorkersOrTheEmbeddedKafka()
    {
        using var module = ModuleDefinition.ReadModule(Repo.Assembly("BrokerChat.Connector"));
        var offenders = module.GetTypes()
            .Where(t => !(t.Namespace ?? "").StartsWith("BrokerChat.Connector.LocalRun", StringComparison.Ordinal)
                && (t.DeclaringType is null || !(Outermost(t).Namespace ?? "").StartsWith("BrokerChat.Connector.LocalRun", StringComparison.Ordinal)))
            .SelectMany(t => module.GetTypeReferences()
                .Where(r => DevModeAssemblies.Contains(r.Scope.Name) && Uses(t, r))
                .Select(r => $"{t.FullName} uses {r.FullName}"))
            .Distinct()
            .ToList();

        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    [Fact]
    public void NoProductionLibraryReferencesTheEmbeddedKafkaOrTheWorkers()
    {
        foreach (var project in new[] { "shared/BrokerChat.Contracts/BrokerChat.Contracts.csproj", "shared/BrokerChat.Kafka/BrokerChat.Kafka.csproj", "shared/BrokerChat.Client/BrokerChat.Client.csproj", "functions/BrokerChat.Functions.csproj" })
        {
            var references = ProjectReferences(project);
            Assert.DoesNotContain(references, r => r.EndsWith("BrokerChat.Kafka.Embedded.csproj", StringComparison.Ordinal));
            Assert.DoesNotContain(references, r => r.EndsWith("BrokerChat.Connector.csproj", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(ProjectReferences("functions/BrokerChat.Functions.csproj"), r => r.EndsWith("BrokerChat.Functions.csproj", StringComparison.Ordinal));
    }

    [Fact]
    public void ProjectReferencesFormNoCycle()
    {
        var projects = Directory.EnumerateFiles(Repo.Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains("/obj/", StringComparison.Ordinal) && !p.Contains("node_modules", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(Repo.Root, p))
            .ToList();
        var graph = new FolderGraph(projects.SelectMany(p => ProjectReferences(p).Select(r => (p, r))));

        Assert.Empty(graph.Cycles());
        Assert.True(projects.Count >= 10, $"only {projects.Count} projects found under {Repo.Root}");
    }

    [Fact]
    public void TheDeployableConnectorIsPublishedWithoutTheWorkersOrTheEmbeddedKafka()
    {
        // As infra/docker/connector.Dockerfile builds it; in a folder of its own, so this build's outputs are untouched.
        Assert.Contains("-p:BrokerChatLocalRun=false", File.ReadAllText(Repo.PathOf("infra/docker/connector.Dockerfile")), StringComparison.Ordinal);
        var work = Directory.CreateTempSubdirectory("brokerchat-publish-");
        try
        {
            var output = Path.Combine(work.FullName, "app");
            var (exit, log) = Run("dotnet", ["publish", Repo.PathOf("connector/BrokerChat.Connector.csproj"), "-c", "Release", "-p:BrokerChatLocalRun=false",
                "--artifacts-path", Path.Combine(work.FullName, "artifacts"), "-o", output, "-nologo"], TimeSpan.FromMinutes(4));
            Assert.True(exit == 0, log);

            var shipped = Directory.EnumerateFiles(output, "*.dll").Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
            Assert.Contains("BrokerChat.Connector", shipped);
            Assert.Contains("BrokerChat.Kafka", shipped);
            Assert.DoesNotContain("BrokerChat.Functions", shipped);
            Assert.DoesNotContain("BrokerChat.Kafka.Embedded", shipped);
            Assert.DoesNotContain("Polly.Core", shipped);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static bool Uses(TypeDefinition type, TypeReference reference) =>
        type.BaseType?.FullName == reference.FullName
        || type.Interfaces.Any(i => i.InterfaceType.FullName == reference.FullName)
        || type.Fields.Any(f => f.FieldType.FullName.Contains(reference.FullName, StringComparison.Ordinal))
        || type.Methods.Any(m => m.ReturnType.FullName.Contains(reference.FullName, StringComparison.Ordinal)
            || m.Parameters.Any(p => p.ParameterType.FullName.Contains(reference.FullName, StringComparison.Ordinal))
            || (m.HasBody && m.Body.Instructions.Any(i => i.Operand switch
            {
                TypeReference t => t.FullName.Contains(reference.FullName, StringComparison.Ordinal),
                MethodReference mr => mr.DeclaringType.FullName.Contains(reference.FullName, StringComparison.Ordinal),
                FieldReference fr => fr.DeclaringType.FullName.Contains(reference.FullName, StringComparison.Ordinal),
                _ => false,
            })));

    private static List<string> ProjectReferences(string project)
    {
        var path = Repo.PathOf(project);
        var directory = Path.GetDirectoryName(path)!;
        return XDocument.Load(path).Descendants("ProjectReference")
            .Select(e => e.Attribute("Include")!.Value.Replace("$(RepoRoot)", Repo.Root + "/", StringComparison.Ordinal).Replace('\\', '/'))
            .Select(include => Path.GetRelativePath(Repo.Root, Path.GetFullPath(Path.IsPathRooted(include) ? include : Path.Combine(directory, include))))
            .ToList();
    }

    private static (int Exit, string Log) Run(string file, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{file} did not finish within {timeout}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
