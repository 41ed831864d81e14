using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BrokerChat.Connector;
using BrokerChat.Functions;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>The Grafana dashboard in infra/ queries series BrokerChat exports, under the names the scrape endpoint gives them.</summary>
[Collection(PipelineCollection.Name)]
public sealed partial class DashboardTests(PipelineFixture fixture)
{
    [Fact(Timeout = 30_000)]
    public async Task EverySeriesTheDashboardQueriesIsOneBrokerChatExports()
    {
        var ct = TestContext.Current.CancellationToken;
        var repoRoot = typeof(DashboardTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(repoRoot, "infra", "grafana", "brokerchat-dashboard.json"), ct))!;
        var queried = dashboard["panels"]!.AsArray()
            .SelectMany(panel => panel!["targets"]!.AsArray().Select(t => (string)t!["expr"]!))
            .SelectMany(expr => SeriesName().Matches(expr).Select(m => m.Value))
            .ToHashSet();

        // Every instrument of the host's BrokerChat meters, named as the Prometheus exporter names them.
        var exported = new HashSet<string>();
        var factory = fixture.Host.Services.GetRequiredService<IMeterFactory>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Meter.Name is ConnectorMetrics.MeterName or FunctionsMetrics.MeterName)
                {
                    exported.UnionWith(PrometheusNames(instrument));
                }
            };
            listener.Start();
        }

        Assert.NotEmpty(queried);
        Assert.All(queried.Where(q => q.StartsWith("brokerchat_", StringComparison.Ordinal)), q => Assert.Contains(q, exported));

        // The naming rule holds on the real scrape output for series that have data after one message.
        await using var alice = await fixture.Host.ConnectAsync("dashboard", "alice", ct);
        await alice.JoinGroupAsync("g", ct);
        await alice.SendToGroupAsync("g", "measured", cancellationToken: ct);
        await alice.NextMessageAsync(ct);
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseUri };
        var scrape = await http.GetStringAsync("metrics", ct);
        foreach (var name in new[] { "brokerchat_connector_connections", "brokerchat_connector_delivery_latency_seconds_bucket", "brokerchat_functions_requests_total", "brokerchat_connector_frames_in_total", "dotnet_process_memory_working_set_bytes" })
        {
            Assert.Contains(queried, q => q == name);
            Assert.Contains($"\n{name}{{", "\n" + scrape, StringComparison.Ordinal);
        }
    }

    private static IEnumerable<string> PrometheusNames(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        var suffix = instrument.Unit switch { "s" => "_seconds", "By" => "_bytes", _ => "" };
        if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            name += suffix;
        }

        var type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Counter<>))
        {
            return [name + "_total"];
        }

        return type == typeof(Histogram<>) ? [name + "_bucket", name + "_sum", name + "_count"] : [name];
    }

    [GeneratedRegex("[a-z][a-z0-9_]*_[a-z0-9_]+(?=[{\\[ )]|$)")]
    private static partial Regex SeriesName();
}
