namespace BrokerChat.Connector.Auth;

/// <summary>
/// A Web PubSub connection string, <c>Endpoint=https://host;AccessKey=key;Version=1.0;</c> (optionally
/// <c>Port=n;</c>), the form Azure Web PubSub hands out and its SDKs read: keys are case-insensitive, entries are
/// separated by semicolons, and the access key may itself contain <c>=</c> (base64).
/// </summary>
/// <param name="Endpoint">The service endpoint, or null when the string has none.</param>
/// <param name="AccessKey">The access key that signs and verifies tokens.</param>
public sealed record WebPubSubConnectionString(Uri? Endpoint, string AccessKey)
{
    /// <summary>Parses a connection string; null with a reason when it is not one.</summary>
    public static WebPubSubConnectionString? Parse(string value, out string? failure)
    {
        failure = null;
        string? endpoint = null;
        string? key = null;
        string? port = null;
        foreach (var entry in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                failure = $"'{Redact(entry)}' is not a Name=value entry.";
                return null;
            }

            var name = entry[..equals].Trim();
            var entryValue = entry[(equals + 1)..].Trim();
            if (name.Equals("Endpoint", StringComparison.OrdinalIgnoreCase))
            {
                endpoint = entryValue;
            }
            else if (name.Equals("AccessKey", StringComparison.OrdinalIgnoreCase))
            {
                key = entryValue;
            }
            else if (name.Equals("Port", StringComparison.OrdinalIgnoreCase))
            {
                port = entryValue;
            }
        }

        if (string.IsNullOrEmpty(key))
        {
            failure = "It has no AccessKey entry (only AccessKey connection strings are supported, not Microsoft Entra ID ones).";
            return null;
        }

        Uri? uri = null;
        if (endpoint is not null)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                failure = "Its Endpoint must be an absolute http or https URL.";
                return null;
            }

            if (port is not null)
            {
                if (!int.TryParse(port, System.Globalization.CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
                {
                    failure = "Its Port must be a number from 1 to 65535.";
                    return null;
                }

                uri = new UriBuilder(uri) { Port = number }.Uri;
            }
        }

        return new WebPubSubConnectionString(uri, key);
    }

    /// <inheritdoc />
    public override string ToString() => $"Endpoint={Endpoint};AccessKey=***;"; // never the key, even in logs

    private static string Redact(string entry) => entry.Length <= 8 ? entry : entry[..8] + "…";
}
