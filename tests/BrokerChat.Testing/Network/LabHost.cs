using System.Net;
using System.Net.Sockets;

namespace BrokerChat.Testing.Network;

/// <summary>
/// One host of a <see cref="NetworkLab"/>: a network namespace with one link (a veth pair) to the test's own
/// namespace, which plays the part of the server host. Sockets made by <see cref="CreateSocket"/> live in this host;
/// <see cref="CutAsync"/> takes its link down, so packets in flight vanish without a FIN or a reset, as when a
/// client's network goes away; <see cref="HealAsync"/> brings it back.
/// </summary>
public sealed class LabHost : IDisposable
{
    private readonly NetworkNamespace _namespace;
    private readonly string _link;

    internal LabHost(string name, string link, IPAddress address, IPAddress serverAddress)
    {
        _namespace = new NetworkNamespace(name);
        _link = link;
        Address = address;
        ServerAddress = serverAddress;
    }

    /// <summary>The namespace's name (<c>ip netns exec {Name} …</c> runs a process on this host).</summary>
    public string Name => _namespace.Name;

    /// <summary>This host's address on its link.</summary>
    public IPAddress Address { get; }

    /// <summary>The address of the test's own end of the link: a server listening there is reached from this host.</summary>
    public IPAddress ServerAddress { get; }

    /// <summary>A TCP socket of this host, not yet connected.</summary>
    public Socket CreateSocket() => _namespace.Invoke(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });

    /// <summary>Takes this host's link down: nothing more passes either way, and nobody is told.</summary>
    public Task CutAsync() => IpCommand.RunAsync("-n", Name, "link", "set", _link, "down");

    /// <summary>Brings this host's link back up.</summary>
    public Task HealAsync() => IpCommand.RunAsync("-n", Name, "link", "set", _link, "up");

    /// <inheritdoc />
    public void Dispose() => _namespace.Dispose();
}
