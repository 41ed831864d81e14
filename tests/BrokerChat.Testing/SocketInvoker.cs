using System.Net;
using System.Net.Sockets;

namespace BrokerChat.Testing;

/// <summary>
/// HTTP invokers for WebSocket clients whose TCP socket is adjusted before it connects: bound to a chosen
/// 127.0.0.x source address (to spread connections over addresses and ports), or with small buffers.
/// </summary>
public static class SocketInvoker
{
    /// <summary>
    /// An invoker whose connections are made by a socket that <paramref name="configure"/> adjusted first, made by
    /// <paramref name="create"/> (a test host's socket) or, when it is null, a plain one.
    /// </summary>
    public static HttpMessageInvoker Create(Action<Socket>? configure, Func<Socket>? create = null) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = create?.Invoke() ?? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                configure?.Invoke(socket);
                await socket.ConnectAsync(context.DnsEndPoint, token).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    /// <summary>An invoker whose connections come from <paramref name="source"/>.</summary>
    public static HttpMessageInvoker From(IPAddress source) => Create(socket => socket.Bind(new IPEndPoint(source, 0)));
}
