using BrokerChat.Testing.Network;

namespace BrokerChat.EndToEnd.Tests.Faults;

/// <summary>
/// The test classes that make a <see cref="NetworkLab"/>: they run one at a time, as a lab's hosts are named and
/// addressed by the test process and their index (two labs at once would make the same host twice, and disposing one
/// deletes the other's).
/// </summary>
[CollectionDefinition(Name)]
public sealed class NetworkLabCollection
{
    public const string Name = "NetworkLab";
}
