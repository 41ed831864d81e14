using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace BrokerChat.LoadTool.Bench;

/// <summary>
/// <c>drive</c>: one load process. It holds its share of a scenario's clients (client <c>i</c> belongs to process
/// <c>i mod processes</c>, so every room spans processes), takes commands as JSON lines on stdin and answers on
/// stdout, with a <c>tick</c> line every second (open connections, sends, receipts and their latencies since the
/// previous tick). Several of these let a run go past the per-process open-files limit.
/// </summary>
public sealed class LoadDriver
{
    private readonly List<LoadClient> _clients = [];
    private readonly object _write = new();
    private ReceiptCounters _counters = new();
    private WireProtocol _protocol;
    private Uri? _url;
    private int _membersPerRoom;
    private string _roomPrefix = "r";
    private int _index;
    private int _processes = 1;
    private int _slowEvery;
    private HttpMessageInvoker[] _invokers = [];
    private CancellationTokenSource? _load;
    private Task _loadTask = Task.CompletedTask;
    private long _sent;
    private long _measuredSent;
    private long _skipped;

    /// <summary>Runs until stdin ends or an <c>exit</c> command.</summary>
    public static async Task<int> RunAsync()
    {
        var driver = new LoadDriver();
        using var stop = new CancellationTokenSource();
        var ticks = driver.TickLoopAsync(stop.Token);
        var keepAlive = driver.KeepAliveLoopAsync(stop.Token);
        try
        {
            while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                var command = JsonNode.Parse(line)!.AsObject();
                var op = (string)command["op"]!;
                if (op == "exit")
                {
                    break;
                }

                var reply = await driver.HandleAsync(op, command).ConfigureAwait(false);
                reply["op"] = op + "-done";
                driver.Write(reply);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await driver.StopLoadAsync().ConfigureAwait(false);
            await driver.DisconnectAsync().ConfigureAwait(false);
            await Task.WhenAll(ticks, keepAlive).ConfigureAwait(false);
        }

        return 0;
    }

    private async Task<JsonObject> HandleAsync(string op, JsonObject command)
    {
        switch (op)
        {
            case "setup":
                _protocol = Enum.Parse<WireProtocol>((string)command["protocol"]!);
                _url = new Uri((string)command["url"]!);
                _membersPerRoom = (int)command["membersPerRoom"]!;
                _roomPrefix = (string?)command["roomPrefix"] ?? "r";
                _index = (int)command["index"]!;
                _processes = (int)command["processes"]!;
                _slowEvery = (int?)command["slowEvery"] ?? 0;
                LoadClient.SlowReadDelay = TimeSpan.FromMilliseconds((int?)command["slowDelayMs"] ?? 200);
                foreach (var invoker in _invokers)
                {
                    invoker.Dispose();
                }

                _invokers = Enumerable.Range(1, (int)command["sources"]!).Select(i => LoadClient.Invoker(IPAddress.Parse($"127.0.0.{i}"))).ToArray();
                return [];
            case "connect":
                return await ConnectAsync((int)command["from"]!, (int)command["to"]!, (int?)command["concurrency"] ?? 100).ConfigureAwait(false);
            case "load":
                await StopLoadAsync().ConfigureAwait(false);
                Volatile.Write(ref _counters.MeasureFrom, (long)command["measureFrom"]!);
                Volatile.Write(ref _counters.MeasureTo, (long)command["measureTo"]!);
                _load = new CancellationTokenSource();
                var rate = (double)command["rate"]!;
                var senderEvery = (int)command["senderEvery"]!;
                var padding = (int)command["padding"]!;
                var token = _load.Token;
                _loadTask = Task.Run(() => SendLoopAsync(rate, senderEvery, padding, token), CancellationToken.None);
                return [];
            case "stop":
                await StopLoadAsync().ConfigureAwait(false);
                return [];
            case "summary":
                var counters = _counters;
                return new JsonObject
                {
                    ["sent"] = Interlocked.Read(ref _measuredSent),
                    ["received"] = Interlocked.Read(ref counters.MeasuredReceived),
                    ["order"] = Interlocked.Read(ref counters.MeasuredOrderViolations),
                    ["closed"] = Interlocked.Read(ref counters.ClosedByServer),
                    ["connections"] = OpenConnections(),
                    ["skipped"] = Interlocked.Read(ref _skipped),
                    ["hist"] = counters.Measured.ToJson(),
                    ["slowHist"] = counters.MeasuredSlow.ToJson(),
                };
            case "reset":
                // A new measured window on the same connections (saturation steps).
                var fresh = new ReceiptCounters { ClosedByServer = Interlocked.Read(ref _counters.ClosedByServer) };
                foreach (var client in _clients)
                {
                    client.Counters = fresh;
                }

                _counters = fresh;
                Interlocked.Exchange(ref _measuredSent, 0);
                Interlocked.Exchange(ref _skipped, 0);
                return [];
            case "disconnect":
                await StopLoadAsync().ConfigureAwait(false);
                await DisconnectAsync().ConfigureAwait(false);
                return [];
            default:
                throw new InvalidOperationException($"Unknown command '{op}'.");
        }
    }

    private async Task<JsonObject> ConnectAsync(int from, int to, int concurrency)
    {
        var indexes = Enumerable.Range(from, Math.Max(0, to - from)).Where(i => i % _processes == _index).ToArray();
        var latencies = new LatencyHistogram();
        var failed = 0;
        string? firstError = null;
        var fresh = new List<LoadClient>(indexes.Length);
        using var gate = new SemaphoreSlim(concurrency);
        await Task.WhenAll(indexes.Select(async i =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            var client = new LoadClient(i, _membersPerRoom > 0 ? _roomPrefix + (i / _membersPerRoom).ToString(CultureInfo.InvariantCulture) : null, _slowEvery > 0 && i % _slowEvery == _slowEvery - 1, _protocol, _counters);
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await client.ConnectAsync(_url!, _invokers[i % _invokers.Length], timeout.Token).ConfigureAwait(false);
                latencies.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                lock (fresh)
                {
                    fresh.Add(client);
                }
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, ex.GetType().Name + ": " + ex.Message, null);
                await client.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        lock (_clients)
        {
            _clients.AddRange(fresh);
        }

        return new JsonObject
        {
            ["ok"] = fresh.Count,
            ["failed"] = failed,
            ["error"] = firstError,
            ["p50"] = latencies.PercentileMs(50),
            ["p99"] = latencies.PercentileMs(99),
        };
    }

    /// <summary>
    /// Sends for every sender at <paramref name="rate"/> messages per second, each sender at its own phase so the
    /// load is even; a sender whose previous send is still in flight skips that turn (counted).
    /// </summary>
    private async Task SendLoopAsync(double rate, int senderEvery, int padding, CancellationToken cancellationToken)
    {
        LoadClient[] senders;
        lock (_clients)
        {
            senders = _clients.Where(c => c.Room is not null && c.Index % senderEvery == 0).ToArray();
        }

        if (senders.Length == 0 || rate <= 0)
        {
            return;
        }

        var period = (long)(Stopwatch.Frequency / rate);
        var start = Stopwatch.GetTimestamp();
        var queue = new PriorityQueue<LoadClient, long>(senders.Length);
        for (var i = 0; i < senders.Length; i++)
        {
            queue.Enqueue(senders[i], start + (period * i / senders.Length));
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                while (queue.TryPeek(out var client, out var due) && due <= now)
                {
                    queue.Dequeue();
                    if (client.TrySend(now, padding))
                    {
                        Interlocked.Increment(ref _sent);
                        if (_counters.InWindow(now))
                        {
                            Interlocked.Increment(ref _measuredSent);
                        }
                    }
                    else if (!client.Closed)
                    {
                        Interlocked.Increment(ref _skipped);
                    }

                    if (!client.Closed)
                    {
                        // Fall behind by at most one second rather than bursting to catch up.
                        queue.Enqueue(client, Math.Max(due + period, now - Stopwatch.Frequency));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StopLoadAsync()
    {
        if (_load is { } load)
        {
            await load.CancelAsync().ConfigureAwait(false);
            await _loadTask.ConfigureAwait(false);
            load.Dispose();
            _load = null;
        }
    }

    private async Task DisconnectAsync()
    {
        LoadClient[] clients;
        lock (_clients)
        {
            clients = [.. _clients];
            _clients.Clear();
        }

        await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
        var fresh = new ReceiptCounters();
        _counters = fresh;
        Interlocked.Exchange(ref _measuredSent, 0);
        Interlocked.Exchange(ref _skipped, 0);
    }

    private int OpenConnections()
    {
        lock (_clients)
        {
            return _clients.Count(c => !c.Closed);
        }
    }

    private async Task TickLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long lastSent = 0, lastReceived = 0;
        ReceiptCounters? lastCounters = null;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var counters = _counters;
                if (!ReferenceEquals(counters, lastCounters))
                {
                    lastReceived = 0;
                    lastCounters = counters;
                }

                var interval = Interlocked.Exchange(ref counters.Interval, new LatencyHistogram());
                var sent = Interlocked.Read(ref _sent);
                var received = Interlocked.Read(ref counters.Received);
                Write(new JsonObject
                {
                    ["op"] = "tick",
                    ["connections"] = OpenConnections(),
                    ["sent"] = sent - lastSent,
                    ["received"] = received - lastReceived,
                    ["hist"] = interval.ToJson(),
                });
                lastSent = sent;
                lastReceived = received;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// SignalR needs a message from each client at least every 30 s: ping every client every 15 s, spread over the
    /// 15 s; on the reliable Web PubSub protocol the same loop sends each client's sequenceAck.
    /// </summary>
    private async Task KeepAliveLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var second = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                second = (second + 1) % 15;
                if (_protocol == WireProtocol.WebPubSub)
                {
                    continue;
                }

                LoadClient[] due;
                lock (_clients)
                {
                    due = _clients.Where(c => c.Index % 15 == second).ToArray();
                }

                foreach (var client in due)
                {
                    client.KeepAlive();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Write(JsonObject message)
    {
        var text = message.ToJsonString();
        lock (_write)
        {
            Console.Out.WriteLine(text);
            Console.Out.Flush();
        }
    }
}
