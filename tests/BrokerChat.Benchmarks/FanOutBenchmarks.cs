using BenchmarkDotNet.Attributes;
using BrokerChat.Connector.Filters;
using BrokerChat.Connector.Frames;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Benchmarks;

/// <summary>
/// A room's message going to every member: encoded once and the same bytes handed to each recipient (what the
/// connector does), against encoding it again for each recipient.
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private readonly Delivery _delivery = Samples.Delivery();
    private byte[][] _queues = [];

    [Params(10, 1000)]
    public int Recipients { get; set; }

    [GlobalSetup]
    public void Setup() => _queues = new byte[Recipients][];

    [Benchmark(Baseline = true)]
    public int SerializeOnce()
    {
        var frame = JsonFrameWriter.Instance.Message(_delivery);
        for (var i = 0; i < _queues.Length; i++)
        {
            _queues[i] = frame;
        }

        return _queues.Length;
    }

    [Benchmark]
    public int EncodePerRecipient()
    {
        for (var i = 0; i < _queues.Length; i++)
        {
            _queues[i] = JsonFrameWriter.Instance.Message(_delivery);
        }

        return _queues.Length;
    }
}
