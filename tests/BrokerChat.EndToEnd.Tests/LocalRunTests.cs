using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Hosting;
using BrokerChat.Connector.LocalRun;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// A local run (<c>dotnet run --project connector</c>: the embedded Kafka, no access key configured) prints connection
/// strings an application using the Web PubSub server SDK can paste, with a key kept in the local data folder, and
/// serves HTTPS with a development certificate kept there, which Node and .NET clients trust from its PEM file.
/// </summary>
public sealed class LocalRunTests : IDisposable
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "brokerchat-localrun-" + Guid.NewGuid().ToString("N"));

    [Fact(Timeout = 180_000)]
    public async Task PrintedConnectionStringsSignRestCallsAndKeepTheirKeyAndCertificateAcrossARestart()
    {
        var ct = TestContext.Current.CancellationToken;
        string[] first;
        string firstThumbprint;
        await using (var app = await StartLocalRunAsync())
        {
            first = ConnectionStrings(app);
            Assert.Equal(2, first.Length);
            var http = Parse(first.Single(c => c.StartsWith("Endpoint=http://", StringComparison.Ordinal)));
            var https = Parse(first.Single(c => c.StartsWith("Endpoint=https://", StringComparison.Ordinal)));
            Assert.Equal(http.AccessKey, https.AccessKey);
            Assert.Equal(File.ReadAllText(Path.Combine(_dataPath, LocalRunFiles.AccessKeyFile)), http.AccessKey);
            Assert.All(first, c => Assert.Contains(";Port=", c, StringComparison.Ordinal));

            // The key signs REST calls the connector accepts, over http and over https; another key does not.
            Assert.Equal(HttpStatusCode.Accepted, await SendToAllAsync(http, http.AccessKey, ct));
            Assert.Equal(HttpStatusCode.Accepted, await SendToAllAsync(https, https.AccessKey, ct));
            Assert.Equal(HttpStatusCode.Unauthorized, await SendToAllAsync(http, "another-key-0123456789abcdef0123456789abcdef", ct));
            firstThumbprint = Certificate().Thumbprint;
        }

        await using var restarted = await StartLocalRunAsync();
        var again = ConnectionStrings(restarted);
        Assert.Equal(first.Select(c => Parse(c).AccessKey).Distinct(), again.Select(c => Parse(c).AccessKey).Distinct());
        Assert.Equal(firstThumbprint, Certificate().Thumbprint);
        Assert.Equal(HttpStatusCode.Accepted, await SendToAllAsync(Parse(again[0]), Parse(first[0]).AccessKey, ct));
    }

    [Fact(Timeout = 180_000)]
    public async Task HttpsEndpointServesTheServerSdkWithoutInsecureConnectionsAndHandsOutWssUrls()
    {
        var ct = TestContext.Current.CancellationToken;
        await JavaScriptClientTests.EnsureInstalledAsync(ct);
        await using var app = await StartLocalRunAsync();
        var https = ConnectionStrings(app).Single(c => c.StartsWith("Endpoint=https://", StringComparison.Ordinal));
        var pem = Path.Combine(_dataPath, LocalRunFiles.CertificateFile);
        Assert.Contains(Logged(app), e => e.EventName == "LocalCertificate" && e.Text.Contains(pem, StringComparison.Ordinal));

        var (exitCode, output, errors) = await JavaScriptClientTests.RunAsync("env", [$"NODE_EXTRA_CA_CERTS={pem}", "node", "web-pubsub-https.mjs", https, "secure"], TimeSpan.FromSeconds(90), ct);

        Assert.True(exitCode == 0, $"node exited with {exitCode}: {errors}");
        var result = JsonNode.Parse(output)!.AsObject();
        Assert.StartsWith("https://", (string?)result["endpoint"], StringComparison.Ordinal);
        Assert.Equal("wss:", (string?)result["clientUrlScheme"]);
        Assert.Equal("wss:", (string?)result["negotiateScheme"]);
        Assert.Equal(["over https"], result["received"]!.AsArray().Select(m => (string?)m));

        // .NET trusting the same certificate: /negotiate over https hands out a wss URL a ClientWebSocket connects to.
        var endpoint = Parse(https).Endpoint!;
        using var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = TrustsDevelopmentCertificate } };
        using var client = new HttpClient(handler) { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(30) };
        var url = (string?)(await client.GetFromJsonAsync<JsonObject>("negotiate?hub=secure&userId=ivan", ct))!["url"];
        Assert.StartsWith("wss://", url, StringComparison.Ordinal);
        using var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = TrustsDevelopmentCertificate;
        socket.Options.AddSubProtocol("json.webpubsub.azure.v1");
        await socket.ConnectAsync(new Uri(url!), ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        var buffer = new byte[4096];
        var frame = await socket.ReceiveAsync(buffer.AsMemory(), ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), ct);
        var connected = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, frame.Count))!;
        Assert.Equal(("system", "connected", "ivan"), ((string?)connected["type"], (string?)connected["event"], (string?)connected["userId"]));
        socket.Abort();
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }

    /// <summary>A local run on the embedded Kafka with no access key, its data in this test's folder, started and ready.</summary>
    private async Task<WebApplication> StartLocalRunAsync()
    {
        var logs = new CapturingLoggerProvider();
        var app = ConnectorApp.Build(
            ["--urls", "http://127.0.0.1:0", "--LocalRun:DataPath", _dataPath, "--LocalRun:HttpsPort", "0", "--Logging:LogLevel:Default", "Warning"],
            services => services.AddSingleton(logs).AddSingleton<ILoggerProvider>(logs));
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await ConnectorApp.WaitUntilReadyAsync(app, TimeSpan.FromSeconds(60));
        // What dotnet run prints once started, at Information whatever the configured level.
        ConnectorApp.LogStartup(app, new ForwardingLogger(logs.CreateLogger("BrokerChat")));
        return app;
    }

    private static System.Collections.Concurrent.ConcurrentQueue<CapturingLoggerProvider.Entry> Logged(WebApplication app) =>
        app.Services.GetRequiredService<CapturingLoggerProvider>().Entries;

    /// <summary>The connection strings the local run printed, read back from its log.</summary>
    private static string[] ConnectionStrings(WebApplication app) =>
        Logged(app).Where(e => e.EventName == "LocalConnectionString")
            .Select(e => e.Text[(e.Text.IndexOf("Endpoint=", StringComparison.Ordinal))..].Split(' ')[0])
            .ToArray();

    private static WebPubSubConnectionString Parse(string connectionString) =>
        WebPubSubConnectionString.Parse(connectionString, out var failure) ?? throw new InvalidOperationException(failure);

    private X509Certificate2 Certificate() => X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_dataPath, LocalRunFiles.CertificateFile));

    private bool TrustsDevelopmentCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }

        using var trust = new X509Chain();
        trust.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        trust.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        trust.ChainPolicy.CustomTrustStore.Add(Certificate());
        return trust.Build(new X509Certificate2(certificate)) && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
    }

    private async Task<HttpStatusCode> SendToAllAsync(WebPubSubConnectionString connection, string key, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = TrustsDevelopmentCertificate } };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var url = new Uri(connection.Endpoint!, "api/hubs/local/:send?api-version=2024-12-01");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("hi", Encoding.UTF8, "text/plain") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RestApiTests.Token(key, url.ToString()));
        using var response = await http.SendAsync(request, ct);
        return response.StatusCode;
    }

    /// <summary>Passes every entry on, whatever the configured minimum level.</summary>
    private sealed class ForwardingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, formatter);
    }
}
