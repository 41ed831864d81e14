using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Functions.Tests.Webhooks;

/// <summary>One event a <see cref="TestUpstream"/> was posted: its path, <c>ce-</c> headers and body.</summary>
internal sealed record UpstreamCall(string Path, IReadOnlyDictionary<string, string> Headers, string? ContentType, byte[] Body)
{
    public string? this[string header] => Headers.TryGetValue(header, out var value) ? value : null;

    public string Text => System.Text.Encoding.UTF8.GetString(Body);

    public string? EventName => this["ce-eventName"];

    public string? ConnectionId => this["ce-connectionId"];
}

/// <summary>What a <see cref="TestUpstream"/> answers: a status, and a body of a media type, and a <c>ce-connectionState</c>.</summary>
internal sealed record UpstreamAnswer(int Status, byte[]? Body = null, string? ContentType = null, string? State = null)
{
    public static UpstreamAnswer Text(string text) => new(200, System.Text.Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8");
}

/// <summary>
/// An event handler on a real socket (Kestrel on 127.0.0.1, a free port): allows every origin in its abuse-protection
/// check, records every event posted to it, and answers as the test's <see cref="Behaviour"/> says (204 by default).
/// </summary>
internal sealed class TestUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<UpstreamCall> _calls = new();
    private int _validations;

    private TestUpstream(WebApplication app) => _app = app;

    /// <summary>How the handler answers an event; it may wait (on the token, cancelled when the caller gives up).</summary>
    public Func<UpstreamCall, CancellationToken, Task<UpstreamAnswer>> Behaviour { get; set; } = (_, _) => Task.FromResult(new UpstreamAnswer(204));

    /// <summary>The URL template of this handler: <c>http://127.0.0.1:{port}/eventhandler/{event}</c>.</summary>
    public string UrlTemplate { get; private set; } = "";

    /// <summary>The events posted so far, in the order they arrived.</summary>
    public IReadOnlyList<UpstreamCall> Calls => _calls.ToArray();

    /// <summary>Abuse-protection checks answered so far.</summary>
    public int Validations => Volatile.Read(ref _validations);

    public static async Task<TestUpstream> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var upstream = new TestUpstream(app);
        app.MapMethods("/eventhandler/{event}", ["OPTIONS"], (HttpContext context) =>
        {
            Interlocked.Increment(ref upstream._validations);
            context.Response.Headers["WebHook-Allowed-Origin"] = "*";
            return Results.Ok();
        });
        app.MapPost("/eventhandler/{event}", upstream.HandleAsync);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream.UrlTemplate = address.TrimEnd('/') + "/eventhandler/{event}";
        return upstream;
    }

    /// <summary>The settings that give <paramref name="hub"/> this handler for every user event and the system events <paramref name="systemEvents"/>.</summary>
    public Dictionary<string, string?> Settings(string hub, string userEvents = "*", params string[] systemEvents)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Hubs:{hub}:EventHandlers:0:UrlTemplate"] = UrlTemplate,
            [$"Hubs:{hub}:EventHandlers:0:UserEventPattern"] = userEvents,
            ["Auth:AccessKeys:0"] = "worker-test-key",
        };
        for (var i = 0; i < systemEvents.Length; i++)
        {
            settings[$"Hubs:{hub}:EventHandlers:0:SystemEvents:{i}"] = systemEvents[i];
        }

        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers
            .Where(h => h.Key.StartsWith("ce-", StringComparison.OrdinalIgnoreCase) || h.Key.StartsWith("WebHook-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var call = new UpstreamCall(context.Request.Path, headers, context.Request.ContentType, body.ToArray());
        _calls.Enqueue(call);
        UpstreamAnswer answer;
        try
        {
            answer = await Behaviour(call, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        context.Response.StatusCode = answer.Status;
        if (answer.State is { } state)
        {
            context.Response.Headers["ce-connectionState"] = state;
        }

        if (answer.Body is { } bytes)
        {
            context.Response.ContentType = answer.ContentType;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }
}
