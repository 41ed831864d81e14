using System.ComponentModel.DataAnnotations;

namespace BrokerChat.Connector.LocalRun;

/// <summary>
/// What a local run (<c>dotnet run --project connector</c>, on the embedded Kafka) keeps and serves besides the chat,
/// bound from the <c>LocalRun</c> configuration section. Ignored when Kafka is configured.
/// </summary>
public sealed class LocalRunOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "LocalRun";

    /// <summary>
    /// The folder a local run keeps its files in: the access key it signs with when none is configured
    /// (<c>access-key</c>) and the HTTPS development certificate (<c>localhost.pem</c>, <c>localhost.key.pem</c>), so
    /// the connection string and the certificate stay the same across restarts. The default (null) is
    /// <see cref="DefaultDataPath"/>.
    /// </summary>
    public string? DataPath { get; set; }

    /// <summary>
    /// <c>BrokerChat</c> in the user's local application data folder: <c>~/.local/share/BrokerChat</c> on Linux,
    /// <c>%LOCALAPPDATA%\BrokerChat</c> on Windows.
    /// </summary>
    public static string DefaultDataPath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "BrokerChat");

    /// <summary>
    /// Whether a local run also listens with HTTPS, with a self-signed development certificate for localhost and
    /// 127.0.0.1 made on first run (the Web PubSub server SDK refuses plain http endpoints unless the application
    /// passes <c>allowInsecureConnection</c>). Not added when the configured URLs already have an https one. The
    /// default is true.
    /// </summary>
    public bool Https { get; set; } = true;

    /// <summary>
    /// The HTTPS port. The default is the first http URL's port plus one (5001 beside the default 5000), or a port the
    /// system picks when that one is 0.
    /// </summary>
    [Range(0, 65535)]
    public int? HttpsPort { get; set; }
}
