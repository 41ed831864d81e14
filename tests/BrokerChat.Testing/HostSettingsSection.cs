using System.ComponentModel;
using System.Globalization;

namespace BrokerChat.Testing;

/// <summary>
/// One section of <see cref="HostSettings"/>, named as its options class's section: reads and writes the keys
/// <c>Section:Property</c> of the settings it belongs to.
/// </summary>
public abstract class HostSettingsSection
{
    private readonly HostSettings _settings;

    private protected HostSettingsSection(HostSettings settings, string name)
    {
        _settings = settings;
        Name = name;
    }

    /// <summary>The section's name in configuration, such as <c>Connector</c> or <c>Functions:Moderation</c>.</summary>
    public string Name { get; }

    /// <summary>The configuration key of <paramref name="property"/> in this section.</summary>
    public string KeyOf(string property) => $"{Name}:{property}";

    /// <summary>A value as configuration holds it: invariant numbers, <c>c</c>-format time spans, <c>true</c>/<c>false</c>.</summary>
    public static string Format<T>(T value)
        where T : struct => value switch
        {
            TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
            bool flag => flag ? "true" : "false",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

    private protected T? Get<T>(string property)
        where T : struct =>
        _settings[KeyOf(property)] is { } text ? (T)TypeDescriptor.GetConverter(typeof(T)).ConvertFromInvariantString(text)! : null;

    private protected void Set<T>(string property, T? value)
        where T : struct =>
        _settings[KeyOf(property)] = value is { } set ? Format(set) : null;

    private protected string? GetText(string property) => _settings[KeyOf(property)];

    private protected void SetText(string property, string? value) => _settings[KeyOf(property)] = value;

    /// <summary>A list, from <c>Key:0</c>, <c>Key:1</c>, ...; null when it has no items.</summary>
    private protected IReadOnlyList<string>? GetList(string property)
    {
        var items = new List<string>();
        while (_settings[$"{KeyOf(property)}:{items.Count.ToString(CultureInfo.InvariantCulture)}"] is { } item)
        {
            items.Add(item);
        }

        return items.Count == 0 ? null : items;
    }

    /// <summary>Writes a list as <c>Key:0</c>, <c>Key:1</c>, ..., in place of the items set before.</summary>
    private protected void SetList(string property, IReadOnlyList<string>? items)
    {
        for (var i = 0; _settings[$"{KeyOf(property)}:{i.ToString(CultureInfo.InvariantCulture)}"] is not null; i++)
        {
            _settings[$"{KeyOf(property)}:{i.ToString(CultureInfo.InvariantCulture)}"] = null;
        }

        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            _settings[$"{KeyOf(property)}:{i.ToString(CultureInfo.InvariantCulture)}"] = items![i];
        }
    }
}
