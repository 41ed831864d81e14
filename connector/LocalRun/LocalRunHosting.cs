using BrokerChat.Connector.Auth;
using BrokerChat.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.LocalRun;

/// <summary>
/// A local run's own key and HTTPS listener: with no access key configured, tokens are signed with the key kept in
/// <see cref="LocalRunOptions.DataPath"/> (the same after a restart, so a connection string copied into an
/// application keeps working), and beside the http URLs the connector listens with HTTPS on
/// <see cref="LocalRunOptions.HttpsPort"/>, with the development certificate kept there.
/// </summary>
public static class LocalRunHosting
{
    /// <summary>What Kestrel listens on when no URLs are configured.</summary>
    public const string DefaultUrl = "http://localhost:5000";

    /// <summary>Sets up the local key and the HTTPS listener, when Kafka is embedded (a local run).</summary>
    public static WebApplicationBuilder UseLocalRunKeyAndHttps(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!KafkaOptions.IsEmbeddedIn(builder.Configuration))
        {
            return builder;
        }

        builder.Services.AddOptions<LocalRunOptions>().Bind(builder.Configuration.GetSection(LocalRunOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LocalRunOptions>, LocalRunOptionsValidator>();
        builder.Services.AddSingleton<LocalRunFiles>();
        builder.Services.AddOptions<AuthOptions>().PostConfigure<LocalRunFiles>((auth, files) =>
        {
            if (AccessTokenService.ConfiguredKeys(auth).Count == 0)
            {
                auth.AccessKeys.Add(files.AccessKey);
            }
        });

        var options = builder.Configuration.GetSection(LocalRunOptions.SectionName).Get<LocalRunOptions>() ?? new LocalRunOptions();
        if (!options.Https)
        {
            return builder;
        }

        var urls = (builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } configured ? configured : DefaultUrl)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!urls.Any(u => u.StartsWith(Uri.UriSchemeHttps + "://", StringComparison.OrdinalIgnoreCase)))
        {
            var first = BindingAddress.Parse(urls[0]);
            var port = options.HttpsPort ?? (first.Port == 0 ? 0 : first.Port + 1);
            builder.WebHost.UseUrls([.. urls, $"{Uri.UriSchemeHttps}://{first.Host}:{port}"]);
        }

        builder.Services.AddOptions<KestrelServerOptions>().Configure<LocalRunFiles>((kestrel, files) =>
            kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate ??= files.Certificate));
        return builder;
    }
}
