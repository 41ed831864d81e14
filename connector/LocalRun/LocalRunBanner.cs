using System.Text;
using BrokerChat.Connector.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.LocalRun;

/// <summary>
/// What a local run prints at startup beside the addresses to open: a Web PubSub connection string per address, to
/// paste into an application that uses the server SDK, with the key tokens are signed with, and where the HTTPS
/// development certificate is. A connector on a configured Kafka (a deployment) never prints a key.
/// </summary>
public static class LocalRunBanner
{
    /// <summary>The connection strings for <paramref name="addresses"/> (printable URLs, such as <c>http://localhost:5000</c>); empty unless this is a local run.</summary>
    public static IReadOnlyList<string> ConnectionStrings(WebApplication app, IEnumerable<string> addresses)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<LocalRunFiles>() is null)
        {
            return [];
        }

        var key = Encoding.UTF8.GetString(app.Services.GetRequiredService<AccessTokenService>().Keys[0]);
        return addresses.Select(a => new Uri(a)).Select(u => $"Endpoint={u.Scheme}://{u.Host}:{u.Port};Port={u.Port};AccessKey={key};Version=1.0;").ToList();
    }

    /// <summary>Logs the connection strings, the local key's file when it signs, and the certificate's path when HTTPS is served.</summary>
    public static void Log(WebApplication app, IReadOnlyList<string> addresses, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<LocalRunFiles>() is not { } files)
        {
            return;
        }

        var key = Encoding.UTF8.GetString(app.Services.GetRequiredService<AccessTokenService>().Keys[0]);
        if (File.Exists(files.AccessKeyPath) && key == files.AccessKey)
        {
            LocalRunLog.AccessKey(logger, files.AccessKeyPath);
        }

        foreach (var connectionString in ConnectionStrings(app, addresses))
        {
            LocalRunLog.ConnectionString(logger, connectionString);
        }

        if (addresses.Any(a => a.StartsWith(Uri.UriSchemeHttps + "://", StringComparison.OrdinalIgnoreCase)))
        {
            LocalRunLog.Certificate(logger, files.CertificatePath);
        }
    }
}
