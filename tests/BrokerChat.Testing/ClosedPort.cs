using System.Net;
using System.Net.Sockets;

namespace BrokerChat.Testing;

/// <summary>Loopback ports nothing listens on, for a server that is down.</summary>
public static class ClosedPort
{
    /// <summary>A port the kernel just handed out and that was closed again: connecting to it on 127.0.0.1 is refused.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
