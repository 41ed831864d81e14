using System.Net;
using System.Text.Json;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Hubs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Log = BrokerChat.Functions.Hosting.CustomHandler.CustomHandlerLog;

namespace BrokerChat.Functions.Hosting.CustomHandler;

/// <summary>
/// The functions executable as an Azure Functions custom handler: an HTTP server on 127.0.0.1 that the Functions
/// host starts and posts its Kafka trigger invocations to, running the same <see cref="ChatFunction"/> (with the
/// same moderation) as the Kafka worker. <c>GET /</c> answers once the server is up (the host polls it at start-up);
/// <c>POST /&lt;function&gt;</c> takes an invocation and answers <c>{"Outputs":{…},"Logs":[…],"ReturnValue":null}</c>.
/// </summary>
/// <remarks>
/// It starts in this mode when the host set <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> (or <c>FUNCTIONS_HTTPWORKER_PORT</c>),
/// or with <c>--Functions:Host=CustomHandler</c>. It talks to no Kafka itself: the Functions host consumes and
/// produces through the function's bindings.
/// </remarks>
public static class CustomHandlerApp
{
    /// <summary>The setting that selects the process's hosting mode.</summary>
    public const string HostSetting = "Functions:Host";

    /// <summary>The value of <see cref="HostSetting"/> that selects this mode.</summary>
    public const string HostName = "CustomHandler";

    /// <summary>The variables the Functions host passes its handler's port in, newest first.</summary>
    public static IReadOnlyList<string> PortVariables { get; } = ["FUNCTIONS_CUSTOMHANDLER_PORT", "FUNCTIONS_HTTPWORKER_PORT"];

    private static readonly JsonDocumentOptions s_json = new() { MaxDepth = KafkaTriggerPayload.MaxDepth };

    /// <summary>Whether <paramref name="configuration"/> asks for the custom handler mode.</summary>
    public static bool IsRequested(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return string.Equals(configuration[HostSetting], HostName, StringComparison.OrdinalIgnoreCase)
            || PortVariables.Any(name => !string.IsNullOrWhiteSpace(configuration[name]));
    }

    /// <summary>Builds the handler from command-line arguments (and the environment, as any ASP.NET Core app).</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="configureServices">Replaces or adds services after the defaults (tests use it for a fake clock).</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        var configuration = builder.Configuration;
        builder.Services.AddBrokerChatFunction(configuration);
        builder.Services.AddBrokerChatHubRuntime(configuration);
        builder.Services.AddBrokerChatEventHandler(configuration);
        builder.Services.AddOptions<CustomHandlerOptions>()
            .Bind(configuration.GetSection(CustomHandlerOptions.SectionName))
            .PostConfigure(options => options.Port ??= PortVariables.Select(name => configuration.GetValue<int?>(name)).FirstOrDefault(port => port is not null))
            .ValidateDataAnnotations()
            .Validate(options => options.Port is not null, $"No port to listen on: the Functions host sets {PortVariables[0]}; without it, set {CustomHandlerOptions.SectionName}:Port.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ChatInvocation>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<CustomHandlerOptions>>((kestrel, handler) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = handler.Value.MaxRequestBytes;
            // Only the local Functions host calls the handler.
            kestrel.Listen(IPAddress.Loopback, handler.Value.Port ?? 0);
        });
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        // Built now, so a bad setting or application rule stops the handler at startup rather than at the first invocation.
        app.Services.GetRequiredService<ChatInvocation>();
        app.MapGet("/", () => Results.Text("BrokerChat functions: custom handler ready."));
        app.MapPost("/{function}", InvokeAsync);
        app.MapBrokerChatEventHandler();
        app.Lifetime.ApplicationStarted.Register(() =>
            Log.Started(app.Services.GetRequiredService<ILogger<ChatInvocation>>(), string.Join(", ", Addresses(app)), string.Join(", ", CustomHandlerFunctions.Names)));
        return app;
    }

    /// <summary>The addresses a started handler listens on.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
    }

    private static async Task InvokeAsync(HttpContext context, string function, ChatInvocation invocation, ILogger<ChatInvocation> logger)
    {
        var invocationId = context.Request.Headers["X-Azure-Functions-InvocationId"].ToString() is { Length: > 0 } id ? id : null;
        if (!CustomHandlerFunctions.Names.Contains(function, StringComparer.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync($"No function named '{function}' here; the functions are: {string.Join(", ", CustomHandlerFunctions.Names)}.", context.RequestAborted);
            return;
        }

        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(context.Request.Body, s_json, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            await FailAsync(context, logger, invocationId, function, $"The body is not JSON: {ex.Message}");
            return;
        }

        using (body)
        {
            using var buffer = new MemoryStream();
            try
            {
                await using var writer = new Utf8JsonWriter(buffer);
                await invocation.InvokeAsync(body.RootElement, invocationId, writer, context.RequestAborted);
            }
            catch (TriggerPayloadException ex)
            {
                await FailAsync(context, logger, invocationId, function, ex.Message);
                return;
            }

            context.Response.ContentType = "application/json";
            context.Response.ContentLength = buffer.Length;
            await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
        }
    }

    /// <summary>
    /// Answers 400: the host counts the invocation as failed (and retries it per the function's retry policy),
    /// rather than committing records it could not carry out.
    /// </summary>
    private static async Task FailAsync(HttpContext context, ILogger logger, string? invocationId, string function, string reason)
    {
        Log.InvalidInvocation(logger, invocationId, function, reason);
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteStartObject("Outputs");
        writer.WriteEndObject();
        writer.WriteStartArray("Logs");
        writer.WriteStringValue(reason);
        writer.WriteEndArray();
        writer.WriteNull("ReturnValue");
        writer.WriteEndObject();
    }
}
