using System.Diagnostics;
using System.Text;
using BrokerChat.Kafka.Tracing;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace BrokerChat.Contracts.Tests.Kafka;

public sealed class KafkaTraceContextTests
{
    private const string Parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private const string Other = "00-11111111111111111111111111111111-2222222222222222-01";

    [Fact]
    public void InjectedContextIsExtractedFromTheHeaders()
    {
        using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";
        var message = new Message<byte[], byte[]> { Value = [] };

        KafkaTraceContext.Inject(message, activity);
        var context = KafkaTraceContext.Extract(message.Headers);

        Assert.Equal(activity.TraceId, context.TraceId);
        Assert.Equal(activity.SpanId, context.SpanId);
        Assert.Equal("vendor=1", context.TraceState);
        Assert.True(context.IsRemote);
    }

    [Fact]
    public void HeaderWinsOverTheContractFieldAndTheFieldServesWhenHeadersAreGone()
    {
        var headers = new Headers { { KafkaTraceContext.TraceParentHeader, Encoding.ASCII.GetBytes(Parent) } };

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", KafkaTraceContext.Extract(headers, Other).TraceId.ToHexString());
        Assert.Equal("11111111111111111111111111111111", KafkaTraceContext.Extract(null, Other).TraceId.ToHexString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a traceparent")]
    [InlineData("00-00000000000000000000000000000000-0000000000000000-01")]
    public void MalformedContextIsNoParent(string traceParent)
    {
        var headers = new Headers { { KafkaTraceContext.TraceParentHeader, Encoding.ASCII.GetBytes(traceParent) } };

        Assert.Equal(default, KafkaTraceContext.Extract(headers));
        Assert.Equal(default, KafkaTraceContext.Extract(null, traceParent));
    }

    [Fact]
    public void NoActivityAddsNoHeaders()
    {
        var message = new Message<byte[], byte[]> { Value = [] };

        KafkaTraceContext.Inject(message, null);

        Assert.True(message.Headers is null || message.Headers.Count == 0);
    }

    [Fact]
    public void TracesAreExportedOnlyWhenAnEndpointIsConfigured()
    {
        Assert.Null(TracerProvider(new() { ["Telemetry:OtlpEndpoint"] = "" }));
        Assert.NotNull(TracerProvider(new() { ["Telemetry:OtlpEndpoint"] = "http://127.0.0.1:4317" }));
    }

    private static TracerProvider? TracerProvider(Dictionary<string, string?> settings)
    {
        if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } && settings["Telemetry:OtlpEndpoint"] == "")
        {
            // An endpoint from this machine's environment would count; a setting that is not a URL hides it.
            settings["Telemetry:OtlpEndpoint"] = "none";
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var services = new ServiceCollection().AddBrokerChatTracing(configuration, "BrokerChat.Test").BuildServiceProvider();
        return services.GetService<TracerProvider>();
    }
}
