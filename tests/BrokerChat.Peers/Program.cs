namespace BrokerChat.Peers;

/// <summary>
/// The servers BrokerChat is benchmarked against on the same machine and load, one process per peer:
/// <list type="bullet">
/// <item><description><c>signalr</c>: an ASP.NET Core SignalR hub at <c>/chat</c> (JSON hub protocol) with
/// <c>JoinRoom(room)</c> and <c>SendToRoom(room, data)</c>, which calls <c>message(room, data)</c> on every member of
/// the room; scaled out through the Redis backplane (channel prefix <c>brokerchat-bench</c>) when
/// <c>--redis host:port</c> is given, with no backplane otherwise.</description></item>
/// <item><description><c>bare</c>: a bare Kestrel WebSocket server at <c>/client/hubs/{hub}</c> that speaks the part of
/// the Azure Web PubSub JSON protocol the load tool uses (joinGroup, leaveGroup, sendToGroup, ping) and fans out
/// inside the process with no broker: the upper bound for fan-out on one machine. Each connection has a bounded
/// outgoing queue drained by one writer; a member whose queue is full is closed with 1008 "slow consumer".</description></item>
/// </list>
/// Usage: <c>dotnet BrokerChat.Peers.dll signalr|bare --urls http://127.0.0.1:PORT [--redis host:port]</c>, then
/// any ASP.NET Core configuration arguments. Both answer <c>GET /healthz</c> with 200 once started, and log at
/// Warning unless configured otherwise.
/// </summary>
public static class Program
{
    /// <summary>Entry point: the first argument names the peer, the rest go to ASP.NET Core.</summary>
    /// <returns>0 after a clean shutdown, 2 for a usage error.</returns>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || !PeerServer.TryParseKind(args[0], out var kind))
        {
            await Console.Error.WriteLineAsync("usage: BrokerChat.Peers signalr|bare --urls http://127.0.0.1:PORT [--redis host:port]").ConfigureAwait(false);
            return 2;
        }

        await using var app = PeerServer.Build(kind, args[1..]);
        await app.StartAsync().ConfigureAwait(false);
        foreach (var url in app.Urls)
        {
            await Console.Out.WriteLineAsync($"{PeerServer.Name(kind)} listening on {url}").ConfigureAwait(false);
        }

        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }
}
