using BrokerChat.Connector.Endpoint;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Hosting;

/// <summary>The Kestrel and host settings the connector depends on.</summary>
public static class ConnectorKestrel
{
    /// <summary>
    /// Kestrel settings the connector depends on: a request must complete its upgrade within
    /// <see cref="ConnectorOptions.HandshakeTimeout"/> (headers, and idle keep-alive connections, are cut off after
    /// it), TCP keep-alive on accepted sockets so dead peers are found even without traffic, and a host shutdown
    /// timeout long enough for the connector's own drain.
    /// </summary>
    public static WebApplicationBuilder ConfigureConnectorKestrel(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ConnectorOptions>>((kestrel, connector) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.RequestHeadersTimeout = connector.Value.HandshakeTimeout;
            kestrel.Limits.KeepAliveTimeout = connector.Value.HandshakeTimeout;
            // Every endpoint (from --urls, configuration or code) first offers its connections to the client
            // endpoint's own WebSocket handshake; whatever is not one goes on to HTTP.
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next =>
            {
                var middleware = listen.ApplicationServices.GetRequiredService<ClientUpgradeMiddleware>();
                return context => middleware.OnConnectionAsync(context, next);
            }));
        });
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<ConnectorOptions>>((host, connector) =>
            host.ShutdownTimeout = connector.Value.ShutdownTimeout + connector.Value.CloseTimeout + TimeSpan.FromSeconds(15));
        builder.Services.AddOptions<SocketTransportOptions>().Configure<IOptions<ConnectorOptions>>((sockets, connector) =>
            sockets.Backlog = connector.Value.ListenBacklog);
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = endpoint =>
        {
            var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            if (endpoint is System.Net.IPEndPoint)
            {
                // Accepted sockets inherit these on Linux: probe after 60 s idle, every 10 s, give up after 3.
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.KeepAlive, true);
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveTime, 60);
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveInterval, 10);
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveRetryCount, 3);
            }

            return socket;
        });
        return builder;
    }
}
