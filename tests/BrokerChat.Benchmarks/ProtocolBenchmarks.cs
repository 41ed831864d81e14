using BenchmarkDotNet.Attributes;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Requests;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Benchmarks;

/// <summary>Parsing a client's sendToGroup and encoding the message frame, in both subprotocols.</summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks
{
    private readonly ClientRequest _request = new();
    private readonly Delivery _delivery = Samples.Delivery();

    /// <summary>Makes sure both samples are valid requests, so the benchmark measures a successful parse.</summary>
    [GlobalSetup]
    public void Setup()
    {
        if (JsonRequestParser.Parse(Samples.JsonRequest, _request, out var jsonError) != ParseStatus.Ok
            || MessagePackRequestParser.Parse(Samples.MessagePackRequest, _request, out jsonError) != ParseStatus.Ok)
        {
            throw new InvalidOperationException($"A sample request does not parse: {jsonError}");
        }
    }

    [Benchmark]
    public int ParseJson() => (int)JsonRequestParser.Parse(Samples.JsonRequest, _request, out _);

    [Benchmark]
    public int ParseMessagePack() => (int)MessagePackRequestParser.Parse(Samples.MessagePackRequest, _request, out _);

    [Benchmark]
    public byte[] EncodeJson() => JsonFrameWriter.Instance.Message(_delivery);

    [Benchmark]
    public byte[] EncodeMessagePack() => MessagePackFrameWriter.Instance.Message(_delivery);
}
