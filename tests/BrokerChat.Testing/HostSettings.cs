using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace BrokerChat.Testing;

/// <summary>
/// The configuration a test gives a BrokerChat host (<see cref="BrokerChatHost.StartAsync"/>) or a process that joins
/// one, typed: each property writes the key of the options property it stands for, named after the options class
/// (<c>Functions = { InProcessWorkers = 0 }</c> writes <c>Functions:InProcessWorkers</c>, from
/// <c>FunctionsOptions.SectionName</c> and <c>nameof(FunctionsOptions.InProcessWorkers)</c>), with the value as
/// configuration holds it (invariant numbers, time spans in the <c>c</c> format, <c>true</c>/<c>false</c>, lists
/// as <c>Key:0</c>, <c>Key:1</c>, ...). A property left unset writes nothing; setting it to null removes its key.
/// The indexer reads and writes any key, typed or not (<c>["Kestrel:EndpointDefaults:Protocols"] = "Http2"</c>).
/// </summary>
public sealed class HostSettings
{
    /// <summary>The key of the default log level (ASP.NET Core logging, which has no options class of BrokerChat's).</summary>
    public const string DefaultLogLevelKey = "Logging:LogLevel:Default";

    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public HostSettings()
    {
        Connector = new ConnectorSettings(this);
        Auth = new AuthSettings(this);
        Kafka = new KafkaSettings(this);
        Functions = new FunctionsSettings(this);
        LocalRun = new LocalRunSettings(this);
        EventHandlers = new EventHandlerSettings(this);
    }

    /// <summary>The addresses Kestrel listens on (<c>urls</c>).</summary>
    public string? Urls
    {
        get => this[WebHostDefaults.ServerUrlsKey];
        set => this[WebHostDefaults.ServerUrlsKey] = value;
    }

    /// <summary>The default log level (<c>Logging:LogLevel:Default</c>), such as <c>Warning</c> or <c>Trace</c>.</summary>
    public string? DefaultLogLevel
    {
        get => this[DefaultLogLevelKey];
        set => this[DefaultLogLevelKey] = value;
    }

    /// <summary>The connector's settings (<c>Connector:</c>, ConnectorOptions).</summary>
    public ConnectorSettings Connector { get; }

    /// <summary>The access keys and tokens (<c>Auth:</c>, AuthOptions).</summary>
    public AuthSettings Auth { get; }

    /// <summary>The Kafka the host runs on, and its topics (<c>Kafka:</c>, KafkaOptions).</summary>
    public KafkaSettings Kafka { get; }

    /// <summary>The worker functions (<c>Functions:</c>, FunctionsOptions) and their moderation.</summary>
    public FunctionsSettings Functions { get; }

    /// <summary>What a local run on the embedded Kafka keeps and serves (<c>LocalRun:</c>, LocalRunOptions).</summary>
    public LocalRunSettings LocalRun { get; }
    /// <summary>The hubs' event handlers (<c>Hubs:{hub}:EventHandlers</c>) and how they are called (<c>EventHandlers:</c>).</summary>
    public EventHandlerSettings EventHandlers { get; }

    /// <summary>Any configuration key, as configuration names it; null when unset. Setting null removes the key.</summary>
    public string? this[string key]
    {
        get => _values.TryGetValue(key, out var value) ? value : null;
        set
        {
            if (value is null)
            {
                _values.Remove(key);
            }
            else
            {
                _values[key] = value;
            }
        }
    }

    /// <summary>The configuration these settings produce: key and value, as text.</summary>
    public IReadOnlyDictionary<string, string> ToConfiguration() => new Dictionary<string, string>(_values, StringComparer.OrdinalIgnoreCase);

    /// <summary>The configuration these settings produce, built, for services set up without a host.</summary>
    public IConfigurationRoot BuildConfiguration() =>
        new ConfigurationBuilder().AddInMemoryCollection(_values.Select(setting => new KeyValuePair<string, string?>(setting.Key, setting.Value))).Build();

    /// <summary>The settings as command-line arguments for another process (<c>--Key=value</c>).</summary>
    public IReadOnlyList<string> ToArgs() => [.. _values.Select(setting => $"--{setting.Key}={setting.Value}")];

    /// <summary>A copy, which can change without changing these settings.</summary>
    public HostSettings Clone()
    {
        var copy = new HostSettings();
        foreach (var (key, value) in _values)
        {
            copy._values[key] = value;
        }

        return copy;
    }

    /// <summary>Sets every key <paramref name="other"/> sets, to its value there; returns these settings.</summary>
    public HostSettings Apply(HostSettings other)
    {
        foreach (var (key, value) in other._values)
        {
            _values[key] = value;
        }

        return this;
    }

    /// <summary>
    /// Lifts the connector's per-connection rate limit and the functions' per-sender one, unless these settings set
    /// them, for tests and tools that send bursts (the limits have tests of their own); returns these settings.
    /// </summary>
    public HostSettings WithoutRateLimits()
    {
        Connector.MaxMessagesPerSecond ??= 100_000;
        Connector.MessageBurst ??= 100_000;
        Functions.Moderation.MessagesPerSecond ??= 0;
        return this;
    }
}
