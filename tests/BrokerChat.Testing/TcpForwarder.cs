using System.Net;
using System.Net.Sockets;

namespace BrokerChat.Testing;

/// <summary>
/// A TCP load balancer for tests: accepts on 127.0.0.1 and forwards each connection, both ways, to the current
/// <see cref="Target"/>. Changing the target sends new connections elsewhere, as a balancer does when a backend goes.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public TcpForwarder(Uri target)
    {
        Target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Where new connections go (its host and port).</summary>
    public Uri Target { get; set; }

    /// <summary>The balancer's own address, as an http URI ending in '/'.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
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
                client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
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
        using var backend = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using (client)
        {
            try
            {
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
