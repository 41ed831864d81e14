using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace BrokerChat.LoadTool.Bench;

/// <summary>The orchestrator's handle on one load process (<see cref="LoadDriver"/>): commands in, replies and ticks out.</summary>
internal sealed class DriverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _replies = Channel.CreateBounded<JsonObject>(16);
    private readonly Task _reader;
    private readonly Action<JsonObject> _onTick;

    private DriverProcess(Process process, Action<JsonObject> onTick)
    {
        _process = process;
        _onTick = onTick;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>The load process's id, for its CPU time.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts a load process running this tool's <c>drive</c> command.</summary>
    public static DriverProcess Start(Action<JsonObject> onTick)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BrokerChat.LoadTool.dll"));
        info.ArgumentList.Add("drive");
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start a load process.");
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                Console.Error.WriteLine($"[load {process.Id}] {e.Data}");
            }
        };
        process.BeginErrorReadLine();
        return new DriverProcess(process, onTick);
    }

    /// <summary>Sends a command and waits for its answer.</summary>
    public async Task<JsonObject> SendAsync(JsonObject command, TimeSpan timeout)
    {
        var op = (string)command["op"]!;
        await _process.StandardInput.WriteLineAsync(command.ToJsonString()).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        using var cancel = new CancellationTokenSource(timeout);
        var reply = await _replies.Reader.ReadAsync(cancel.Token).ConfigureAwait(false);
        return (string?)reply["op"] == op + "-done"
            ? reply
            : throw new InvalidOperationException($"The load process answered {reply["op"]} to {op}.");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("""{"op":"exit"}""").ConfigureAwait(false);
            await _process.StandardInput.FlushAsync().ConfigureAwait(false);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidOperationException)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _reader.ConfigureAwait(false);
        _process.Dispose();
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            var message = JsonNode.Parse(line)!.AsObject();
            if ((string?)message["op"] == "tick")
            {
                _onTick(message);
            }
            else
            {
                await _replies.Writer.WriteAsync(message).ConfigureAwait(false);
            }
        }

        _replies.Writer.TryComplete(new InvalidOperationException("The load process ended."));
    }
}
