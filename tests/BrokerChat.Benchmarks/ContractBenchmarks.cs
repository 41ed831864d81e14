using BenchmarkDotNet.Attributes;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;

namespace BrokerChat.Benchmarks;

/// <summary>The Kafka envelopes: an inbound request and a delivery, written and read (read as untrusted data).</summary>
[MemoryDiagnoser]
public class ContractBenchmarks
{
    private readonly InboundFrame _inbound = Samples.Inbound();
    private readonly Delivery _delivery = Samples.Delivery();
    private byte[] _inboundBytes = [];
    private byte[] _deliveryBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _inboundBytes = ContractSerializer.Serialize(_inbound);
        _deliveryBytes = ContractSerializer.Serialize(_delivery);
    }

    [Benchmark]
    public byte[] WriteInbound() => ContractSerializer.Serialize(_inbound);

    [Benchmark]
    public InboundFrame ReadInbound() => ContractSerializer.DeserializeInbound(_inboundBytes);

    [Benchmark]
    public byte[] WriteDelivery() => ContractSerializer.Serialize(_delivery);

    [Benchmark]
    public Delivery ReadDelivery() => ContractSerializer.DeserializeDelivery(_deliveryBytes);
}
