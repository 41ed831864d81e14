namespace BrokerChat.Functions.Hosting.CustomHandler;

/// <summary>
/// The functions the custom handler serves and the binding names their <c>function.json</c> must use. The app
/// folder shipped in <c>functions/azure-app/</c> declares exactly these (a test keeps the two in step).
/// </summary>
public static class CustomHandlerFunctions
{
    /// <summary>The chat function: its folder name, and the path the host posts its invocations to (<c>POST /chat</c>).</summary>
    public const string Chat = "chat";

    /// <summary>The name of its <c>kafkaTrigger</c> binding (the inbound topic), the key under <c>Data</c>.</summary>
    public const string TriggerBinding = "request";

    /// <summary>The name of its <c>kafka</c> output binding (the outbound topic), the key under <c>Outputs</c>.</summary>
    public const string OutputBinding = "deliveries";

    /// <summary>Every function served.</summary>
    public static IReadOnlyList<string> Names { get; } = [Chat];
}
