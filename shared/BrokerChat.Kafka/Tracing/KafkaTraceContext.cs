using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace BrokerChat.Kafka.Tracing;

/// <summary>
/// Carries W3C trace context across Kafka in record headers (<c>traceparent</c>, <c>tracestate</c>), so one message's
/// path, connector → function → every connector, is one trace. Contracts also keep the <c>traceparent</c> in a field
/// of their own, for routes that lose headers; a header wins when both are present.
/// </summary>
public static class KafkaTraceContext
{
    /// <summary>The W3C <c>traceparent</c> header name.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The W3C <c>tracestate</c> header name.</summary>
    public const string TraceStateHeader = "tracestate";

    /// <summary>Adds <paramref name="activity"/>'s context to <paramref name="message"/>'s headers; nothing when there is no activity.</summary>
    public static void Inject<TKey, TValue>(Message<TKey, TValue> message, Activity? activity)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (activity?.Id is not { } id || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return;
        }

        message.Headers ??= [];
        message.Headers.Remove(TraceParentHeader);
        message.Headers.Add(TraceParentHeader, Encoding.ASCII.GetBytes(id));
        if (activity.TraceStateString is { Length: > 0 } state)
        {
            message.Headers.Remove(TraceStateHeader);
            message.Headers.Add(TraceStateHeader, Encoding.ASCII.GetBytes(state));
        }
    }

    /// <summary>
    /// The parent context a record carries: its headers' <c>traceparent</c>/<c>tracestate</c>, else
    /// <paramref name="fallbackTraceParent"/>; default when neither parses.
    /// </summary>
    public static ActivityContext Extract(Headers? headers, string? fallbackTraceParent = null)
    {
        string? parent = null;
        string? state = null;
        if (headers is not null)
        {
            if (headers.TryGetLastBytes(TraceParentHeader, out var bytes) && bytes.Length is > 0 and <= 128)
            {
                parent = Encoding.ASCII.GetString(bytes);
            }

            if (headers.TryGetLastBytes(TraceStateHeader, out var stateBytes) && stateBytes.Length is > 0 and <= 512)
            {
                state = Encoding.ASCII.GetString(stateBytes);
            }
        }

        parent ??= fallbackTraceParent is { Length: <= 128 } ? fallbackTraceParent : null;
        return parent is not null && ActivityContext.TryParse(parent, state, isRemote: true, out var context) ? context : default;
    }
}
