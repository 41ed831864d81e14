using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using BrokerChat.Connector;
using BrokerChat.Connector.Auth;
using BrokerChat.EventHandlers;
using BrokerChat.Functions;
using BrokerChat.Functions.Hosting.CustomHandler;
using BrokerChat.Functions.Moderation;
using BrokerChat.Kafka;

namespace BrokerChat.Tools.Tests.Infra;

/// <summary>One configuration key an options class binds: <c>Section:Key</c>, with <c>&lt;&gt;</c> for a name or index the user picks.</summary>
internal sealed record ConfigurationKey(string Key, Type Type, object? Default)
{
    /// <summary>Whether <paramref name="key"/> (a concrete key, any letter case) is this one.</summary>
    public bool Matches(string key) => Pattern.IsMatch(key);

    private Regex Pattern => new(
        "^" + string.Join("[^:]+", Key.Split("<>").Select(Regex.Escape)) + "$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}

/// <summary>Every key of every options class, found by reflection, the way the configuration binder sees them.</summary>
internal static class ConfigurationKeys
{
    /// <summary>Keys read by hand rather than bound to an options class.</summary>
    public static IReadOnlyList<ConfigurationKey> Extra { get; } =
        [new(CustomHandlerApp.HostSetting, typeof(string), null)];

    /// <summary>ASP.NET Core and .NET runtime settings the deployment files may set as environment variables.</summary>
    public static IReadOnlySet<string> PlatformVariables { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "ASPNETCORE_ENVIRONMENT",
        "ASPNETCORE_FORWARDEDHEADERS_ENABLED", "DOTNET_ENVIRONMENT", "DOTNET_gcServer",
    };

    /// <summary>The keys of the options classes.</summary>
    public static IReadOnlyList<ConfigurationKey> All { get; } = Build();

    /// <summary>The configuration key an ASP.NET Core environment variable sets (<c>Section__Key</c> → <c>Section:Key</c>).</summary>
    public static string FromEnvironmentVariable(string name) => name.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="key"/> is one the application reads.</summary>
    public static bool Exists(string key) => All.Concat(Extra).Any(k => k.Matches(key));

    /// <summary>Writes a value as configuration holds it.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Whether a default is one the table may describe in words: not set, empty string or empty collection.</summary>
    public static bool IsUnset(object? value) => value switch
    {
        null => true,
        string text => text.Length == 0,
        ICollection collection => collection.Count == 0,
        _ => false,
    };

    /// <summary>Reads <paramref name="text"/> as configuration would for <paramref name="type"/>; null when it cannot.</summary>
    public static bool TryConvert(string text, Type type, out object? value)
    {
        try
        {
            value = TypeDescriptor.GetConverter(Nullable.GetUnderlyingType(type) ?? type).ConvertFromInvariantString(text);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException || ex.InnerException is FormatException or OverflowException)
        {
            value = null;
            return false;
        }
    }

    private static List<ConfigurationKey> Build()
    {
        var keys = new List<ConfigurationKey>();
        Walk(keys, ConnectorOptions.SectionName, new ConnectorOptions());
        Walk(keys, AuthOptions.SectionName, new AuthOptions());
        Walk(keys, KafkaOptions.SectionName, new KafkaOptions());
        Walk(keys, FunctionsOptions.SectionName, new FunctionsOptions());
        // The hubs' overrides bind from their own section (ModerationOptions.HubsSectionName), not from Hubs inside it.
        Walk(keys, ModerationOptions.SectionName, new ModerationOptions(), skip: nameof(ModerationOptions.Hubs));
        Walk(keys, $"{ModerationOptions.HubsSectionName}:<>", new HubModerationOptions());
        Walk(keys, CustomHandlerOptions.SectionName, new CustomHandlerOptions());
        // The hubs' event handlers: Hubs is the dictionary of hubs itself, each with a list of handlers.
        Walk(keys, $"{HubEventHandlerOptions.SectionName}:<>:{nameof(HubSettings.EventHandlers)}:<>", new EventHandlerSettings());
        Walk(keys, EventHandlerClientOptions.SectionName, new EventHandlerClientOptions());
        // Any other options class (a public SectionName constant and a parameterless constructor) binds plainly.
        Type[] walked = [typeof(ConnectorOptions), typeof(AuthOptions), typeof(KafkaOptions), typeof(FunctionsOptions), typeof(ModerationOptions), typeof(CustomHandlerOptions)];
        foreach (var (type, section) in OptionsClasses().Where(o => !walked.Contains(o.Type)))
        {
            Walk(keys, section, Activator.CreateInstance(type)!);
        }

        return keys;
    }

    /// <summary>The options classes of BrokerChat's assemblies: classes with a public <c>SectionName</c> constant.</summary>
    public static IEnumerable<(Type Type, string Section)> OptionsClasses() =>
        new[] { typeof(ConnectorOptions), typeof(FunctionsOptions), typeof(KafkaOptions), typeof(BrokerChat.History.HistoryOptions) }
            .Select(t => t.Assembly)
            .Distinct()
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsClass && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .Select(x => (x.Type, (string)x.Field!.GetValue(null)!));

    private static void Walk(List<ConfigurationKey> keys, string prefix, object options, string? skip = null)
    {
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.Name == skip || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var type = property.PropertyType;
            var key = $"{prefix}:{property.Name}";
            var value = property.GetValue(options);
            var settable = property.SetMethod?.IsPublic == true;
            if (IsScalar(type))
            {
                if (settable)
                {
                    keys.Add(new ConfigurationKey(key, type, value));
                }
            }
            else if (DictionaryValueType(type) is { } valueType)
            {
                // The binder fills get-only dictionaries too.
                if (IsScalar(valueType))
                {
                    keys.Add(new ConfigurationKey($"{key}:<>", valueType, value));
                }
                else
                {
                    Walk(keys, $"{key}:<>", Activator.CreateInstance(valueType)!);
                }
            }
            else if (ElementType(type) is { } elementType && IsScalar(elementType))
            {
                keys.Add(new ConfigurationKey($"{key}:<>", type, value));
            }
            else if (settable && value is not null && type.IsClass)
            {
                Walk(keys, key, value);
            }
            else if (settable || value is not null)
            {
                throw new NotSupportedException($"{key}: a {type} is not understood here; teach ConfigurationKeys about it.");
            }
        }
    }

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan)
            || t == typeof(DateTimeOffset) || t == typeof(DateTime) || t == typeof(Uri) || t == typeof(Guid);
    }

    private static Type? DictionaryValueType(Type type) =>
        type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>) && i.GetGenericArguments()[0] == typeof(string))
            ?.GetGenericArguments()[1];

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0] is { } element && type != typeof(string) ? element : null;
}
