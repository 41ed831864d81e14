using System.Collections.Concurrent;
using System.Diagnostics;
using BrokerChat.Connector;
using BrokerChat.Functions;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>One message's path through Kafka is one trace: connector publish → function process → connector deliver.</summary>
[Collection(PipelineCollection.Name)]
public sealed class TracingTests(PipelineFixture fixture) : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener = new();

    [Fact(Timeout = 30_000)]
    public async Task MessageIsOneTraceFromTheSendersConnectorThroughTheFunctionToTheDeliveringConnector()
    {
        var ct = TestContext.Current.CancellationToken;
        _listener.ShouldListenTo = source => source.Name is ConnectorTelemetry.SourceName or FunctionsTelemetry.SourceName;
        _listener.Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
        _listener.ActivityStopped = _stopped.Enqueue;
        ActivitySource.AddActivityListener(_listener);
        const string hub = "traced";
        await using var alice = await fixture.Host.ConnectAsync(hub, "alice", ct);
        await alice.JoinGroupAsync("g", ct);

        var ack = await alice.SendToGroupAsync("g", "follow me", cancellationToken: ct);
        Assert.True(ack!.Success, ack.ErrorMessage);
        await alice.NextMessageAsync(ct);

        var publish = Assert.Single(Spans("brokerchat.inbound publish", hub));
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal(default, publish.ParentSpanId); // each request starts a trace of its own
        Activity? process = null;
        await Wait.UntilAsync(() => (process = Spans("brokerchat.inbound process", hub).SingleOrDefault(s => s.TraceId == publish.TraceId)) is not null, ct);
        Assert.Equal(publish.SpanId, process!.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Activity? deliver = null;
        await Wait.UntilAsync(() => (deliver = Spans("brokerchat.outbound deliver", hub).FirstOrDefault(s => s.TraceId == publish.TraceId)) is not null, ct);
        Assert.Equal(process.SpanId, deliver!.ParentSpanId);
        Assert.Equal("Group", deliver.GetTagItem("brokerchat.target"));
    }

    public void Dispose() => _listener.Dispose();

    private IEnumerable<Activity> Spans(string name, string hub) =>
        _stopped.Where(a => a.OperationName == name && (string?)a.GetTagItem("brokerchat.hub") == hub);
}
