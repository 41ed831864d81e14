using System.Diagnostics;
using System.Net;
using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrokerChat.LoadTool;

/// <summary>
/// <c>upstream-throughput</c>: how many user events per second one functions process (one worker) posts to a hub's
/// event handler and answers. Fills the inbound topic with events spread over many connections (a connection's events
/// are handled in order, so connections are what runs in parallel), the hub's handler answering each with a 200 and a
/// text reply: by default a minimal Kestrel app in this process, with <c>--express</c> the
/// <c>@azure/web-pubsub-express</c> app of <c>tests/js/web-pubsub-upstream.mjs</c>. Each event is one HTTP call, and
/// its reply (with the ack) one delivery.
/// </summary>
/// <example><c>dotnet run -c Release --project tests/BrokerChat.LoadTool -- upstream-throughput --records 50000 --connections 500 [--express]</c></example>
internal static class UpstreamThroughput
{
    private const string Hub = "bench";
    private const string Key = "bench-access-key-0123456789abcdef";

    public static async Task<int> RunAsync(string[] args)
    {
        var records = Program.Int(args, "--records", 50_000);
        var connections = Program.Int(args, "--connections", 500);
        var express = args.Contains("--express");
        await using var kestrel = express ? null : await StartKestrelAsync();
        using var node = express ? await StartExpressAsync() : null;
        var port = kestrel is not null ? Port(kestrel) : node!.Port;
        Console.WriteLine($"event handler: {(express ? "@azure/web-pubsub-express" : "Kestrel in this process")} on port {port}; {records:N0} events over {connections:N0} connections");
        var payload = Encoding.UTF8.GetBytes("hello upstream");
        string[] workerArgs =
        [
            $"--Hubs:{Hub}:EventHandlers:0:UrlTemplate=http://127.0.0.1:{port}/eventhandler/{{event}}",
            $"--Hubs:{Hub}:EventHandlers:0:UserEventPattern=*",
            $"--Auth:AccessKeys:0={Key}",
            .. args.Where(a => a.StartsWith("--EventHandlers:", StringComparison.Ordinal) || a.StartsWith("--Functions:", StringComparison.Ordinal)),
        ];
        return await FunctionsThroughput.MeasureAsync(records, i =>
        {
            var connection = $"conn{i % connections}";
            var frame = new InboundFrame
            {
                Kind = InboundKind.Event,
                Hub = Hub,
                ConnectionId = connection,
                ConnectorId = "bench",
                UserId = $"user{i % connections}",
                AckId = (ulong)i + 1,
                EventName = "echo",
                DataType = DataType.Text,
                Payload = payload,
                ReceivedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            };
            return (PartitionKeys.Connection(Hub, connection), frame);
        }, workerArgs, "events");
    }

    private static async Task<WebApplication> StartKestrelAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapMethods("/eventhandler/{event}", ["OPTIONS"], (HttpContext context) =>
        {
            context.Response.Headers["WebHook-Allowed-Origin"] = "*";
            return Results.Ok();
        });
        app.MapPost("/eventhandler/{event}", async (HttpContext context) =>
        {
            // Echo the event, as a handler answering each with a reply would.
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.Body.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length), context.RequestAborted);
        });
        await app.StartAsync();
        return app;
    }

    private static int Port(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

    private static async Task<ExpressUpstream> StartExpressAsync()
    {
        var directory = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(directory, "tests", "js")))
        {
            directory = Path.GetDirectoryName(directory.TrimEnd('/')) ?? throw new InvalidOperationException("tests/js not found above the tool");
        }

        var scripts = new BrokerChat.Testing.NodeScripts(Path.Combine(directory, "tests", "js"));
        await scripts.InstallAsync(CancellationToken.None);
        var behaviour = new System.Text.Json.Nodes.JsonObject { ["hub"] = Hub, ["events"] = new System.Text.Json.Nodes.JsonObject { ["echo"] = new System.Text.Json.Nodes.JsonObject { ["reply"] = "echo" } } };
        var process = scripts.Start("node", ["web-pubsub-upstream.mjs", behaviour.ToJsonString()]);
        var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var port = (int)System.Text.Json.Nodes.JsonNode.Parse(first!)!["listening"]!;
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null); // one line per event: keep the pipe drained
        return new ExpressUpstream(process, port);
    }

    private sealed class ExpressUpstream(Process process, int port) : IDisposable
    {
        public int Port { get; } = port;

        public void Dispose()
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }
}
