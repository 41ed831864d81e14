using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Contracts.Tests.EventHandlers;

/// <summary>
/// An event-handler server on a real socket (Kestrel on 127.0.0.1, a free port) that records every request and
/// answers as the test says: <see cref="Options"/> answers the abuse-protection checks, <see cref="Post"/> the events.
/// </summary>
internal sealed class HandlerServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HandlerServer(WebApplication app) => _app = app;

    public sealed record Request(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Answers an <c>OPTIONS</c> check; by default it allows every origin.</summary>
    public Func<HttpContext, Task> Options { get; set; } = context =>
    {
        context.Response.Headers["WebHook-Allowed-Origin"] = "*";
        return Task.CompletedTask;
    };

    /// <summary>Answers a <c>POST</c>; by default 204.</summary>
    public Func<HttpContext, Task> Post { get; set; } = context =>
    {
        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    };

    /// <summary>The URL template of a handler here: <c>http://127.0.0.1:{port}/hooks/{hub}/{event}</c>.</summary>
    public string Template => _app.Urls.First() + "/hooks/{hub}/{event}";

    public int Count(string method) => Requests.Count(r => r.Method == method);

    public static async Task<HandlerServer> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new HandlerServer(app);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            server.Requests.Enqueue(new Request(context.Request.Method, context.Request.Path,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray()));
            await (HttpMethods.IsOptions(context.Request.Method) ? server.Options(context) : server.Post(context));
        });
        await app.StartAsync(cancellationToken);
        return server;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
