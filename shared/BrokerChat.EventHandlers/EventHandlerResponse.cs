using BrokerChat.Contracts.Messages;

namespace BrokerChat.EventHandlers;

/// <summary>A handler's answer to one event.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">The body (at most <see cref="EventHandlerClientOptions.MaxResponseBytes"/>).</param>
/// <param name="ContentType">The body's media type, or null.</param>
/// <param name="ConnectionState">The connection's new state (<c>ce-connectionState</c>), or null when the handler left it as it was.</param>
public sealed record EventHandlerResponse(int Status, byte[] Body, string? ContentType, string? ConnectionState)
{
    /// <summary>Whether the status is 2xx.</summary>
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>Whether the handler failed on its side (5xx): worth trying again.</summary>
    public bool IsServerError => Status >= 500;

    /// <summary>The data type of the body, from its media type.</summary>
    public DataType DataType => EventHandlerMediaTypes.DataTypeOf(ContentType);

    /// <summary>
    /// The body as the reason of a refusal: its text when it is short UTF-8 text (whatever media type it was given: a
    /// handler's error body often has none), else the status.
    /// </summary>
    public string Reason => Body.Length is > 0 and <= 1024 && System.Text.Unicode.Utf8.IsValid(Body)
        ? System.Text.Encoding.UTF8.GetString(Body)
        : $"The event handler answered {Status}.";
}
