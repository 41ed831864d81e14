
namespace BrokerChat.Client.Tests.Fakes;

/// <summary>A started client, the server side of its socket and its recorded events.</summary>
public sealed class ClientHarness : IAsyncDisposable
{
    private ClientHarness(BrokerChatClient client, ClientEvents events, FakeConnection connection)
    {
        Client = client;
        Events = events;
        Connection = connection;
    }

    public BrokerChatClient Client { get; }

    public ClientEvents Events { get; }

    /// <summary>The server side of the first socket.</summary>
    public FakeConnection Connection { get; }

    /// <summary>
    /// Starts a client against <paramref name="server"/>, answers with a <c>connected</c> frame and waits for the
    /// <see cref="BrokerChatClient.Connected"/> event.
    /// </summary>
    public static async Task<ClientHarness> ConnectAsync(
        FakeWebPubSubServer server,
        BrokerChatClientOptions? options = null,
        string connectionId = "conn-1",
        string? reconnectionToken = "token-a",
        Func<CancellationToken, ValueTask<Uri>>? urlProvider = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var client = urlProvider is null ? new BrokerChatClient(server.ClientUrl(), options) : new BrokerChatClient(urlProvider, options);
        var events = new ClientEvents(client);
        await client.StartAsync(ct).Within();
        var connection = await server.NextConnectionAsync(ct);
        await connection.SendConnectedAsync(connectionId, "user-1", reconnectionToken, ct);
        await events.NextConnectedAsync();
        return new ClientHarness(client, events, connection);
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
