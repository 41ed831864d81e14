using System.Net;
using System.Net.Sockets;

namespace BrokerChat.Testing;

/// <summary>
/// A TCP load balancer for tests: accepts on 127.0.0.1 (or on a listening socket it is given) and forwards each
/// connection, both ways, to the current <see cref="Target"/>. Changing the target sends new connections elsewhere,
/// as a balancer does when a backend goes. The connections to the target are made in the test process's own network
/// namespace, whatever namespace the listening socket belongs to.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <summary>Forwards connections accepted on a kernel-chosen port of 127.0.0.1.</summary>
    public TcpForwarder(Uri target)
        : this(Listen(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp), new IPEndPoint(IPAddress.Loopback, 0)), target)
    {
    }

    /// <summary>Forwards connections accepted on <paramref name="listener"/>, a bound and listening socket it then owns.</summary>
    public TcpForwarder(Socket listener, Uri target)
    {
        ArgumentNullException.ThrowIfNull(listener);
        _listener = listener;
        Target = target;
        // On the thread pool, so every connection to the target is made in the test's own namespace.
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>Where new connections go (its host and port).</summary>
    public Uri Target { get; set; }

    /// <summary>The balancer's own address, as an http URI ending in '/'.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}/");

    /// <summary>Binds <paramref name="socket"/> to <paramref name="endpoint"/> and makes it listen.</summary>
    public static Socket Listen(Socket socket, IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(socket);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(512);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ForwardAsync(client, Target);
        }
    }

    private async Task ForwardAsync(Socket client, Uri target)
    {
        using var backend = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (client)
        {
            try
            {
                client.NoDelay = true;
                await backend.ConnectAsync(target.Host, target.Port, _stop.Token).ConfigureAwait(false);
                await using var clientStream = new NetworkStream(client);
                await using var backendStream = new NetworkStream(backend);
                // Whichever side ends first ends both, as a balancer's connection does.
                await Task.WhenAny(
                    clientStream.CopyToAsync(backendStream, _stop.Token),
                    backendStream.CopyToAsync(clientStream, _stop.Token)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException)
            {
                // The connection ended.
            }
        }
    }
}
