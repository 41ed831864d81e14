using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>Records every log entry of every category: its message, its structured values and any exception.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>One log entry: its event name, and its category, message, structured values and exception as text.</summary>
    public sealed record Entry(string? EventName, string Text);

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            provider.Entries.Enqueue(new Entry(eventId.Name, $"{category} {formatter(state, exception)} {values} {exception}"));
        }
    }
}
