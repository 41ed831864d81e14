namespace BrokerChat.Connector.Hosting;

/// <summary>The demo chat page, embedded in the assembly so it is served whatever the working directory.</summary>
internal static class ChatPage
{
    public static Stream Open() =>
        typeof(ChatPage).Assembly.GetManifestResourceStream("BrokerChat.Connector.wwwroot.index.html")
        ?? throw new InvalidOperationException("The chat page is missing from the assembly.");
}
