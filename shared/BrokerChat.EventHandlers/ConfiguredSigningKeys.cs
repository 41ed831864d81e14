using System.Text;
using Microsoft.Extensions.Configuration;

namespace BrokerChat.EventHandlers;

/// <summary>
/// The signing keys of a process without a connector, read as the connector reads them: the <c>AccessKey</c> of
/// <c>Auth:ConnectionString</c> and of <c>Auth:SecondaryConnectionString</c>, then <c>Auth:AccessKeys</c>.
/// </summary>
internal sealed class ConfiguredSigningKeys(IConfiguration configuration) : IEventSigningKeys
{
    public IReadOnlyList<byte[]> Keys { get; } = Read(configuration);

    private static byte[][] Read(IConfiguration configuration)
    {
        var keys = configuration.GetSection("Auth:AccessKeys").Get<string[]>() ?? [];
        return AccessKeyOf(configuration["Auth:ConnectionString"]).Concat(AccessKeyOf(configuration["Auth:SecondaryConnectionString"])).Concat(keys).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).Select(Encoding.UTF8.GetBytes).ToArray();
    }

    private static IEnumerable<string> AccessKeyOf(string? connectionString) => (connectionString ?? "")
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(part => part.Split('=', 2))
        .Where(kv => kv.Length == 2 && kv[0].Equals("AccessKey", StringComparison.OrdinalIgnoreCase))
        .Select(kv => kv[1]);
}
