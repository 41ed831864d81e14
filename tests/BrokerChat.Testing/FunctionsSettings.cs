using BrokerChat.Functions;

namespace BrokerChat.Testing;

/// <summary>The worker functions in <see cref="HostSettings"/>: the keys of <see cref="FunctionsOptions"/>, and their moderation.</summary>
public sealed class FunctionsSettings : HostSettingsSection
{
    internal FunctionsSettings(HostSettings settings)
        : base(settings, FunctionsOptions.SectionName)
    {
        Moderation = new ModerationSettings(settings);
        CustomHandler = new CustomHandlerSettings(settings);
    }

    /// <summary>The moderation rules (<c>Functions:Moderation:</c>, and per hub <c>Functions:Hubs:</c>).</summary>
    public ModerationSettings Moderation { get; }

    /// <summary>The custom handler mode (<c>Functions:CustomHandler:</c>).</summary>
    public CustomHandlerSettings CustomHandler { get; }

    /// <summary>Function workers the host runs in process (0: none, for standalone functions processes).</summary>
    public int? InProcessWorkers
    {
        get => Get<int>(nameof(FunctionsOptions.InProcessWorkers));
        set => Set(nameof(FunctionsOptions.InProcessWorkers), value);
    }

    /// <summary>The functions' consumer group.</summary>
    public string? GroupId
    {
        get => GetText(nameof(FunctionsOptions.GroupId));
        set => SetText(nameof(FunctionsOptions.GroupId), value);
    }

    /// <summary>The largest payload the functions accept.</summary>
    public int? MaxMessageBytes
    {
        get => Get<int>(nameof(FunctionsOptions.MaxMessageBytes));
        set => Set(nameof(FunctionsOptions.MaxMessageBytes), value);
    }

    /// <summary>Tries before a request that keeps failing is dead-lettered.</summary>
    public int? MaxAttempts
    {
        get => Get<int>(nameof(FunctionsOptions.MaxAttempts));
        set => Set(nameof(FunctionsOptions.MaxAttempts), value);
    }

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan? RetryDelay
    {
        get => Get<TimeSpan>(nameof(FunctionsOptions.RetryDelay));
        set => Set(nameof(FunctionsOptions.RetryDelay), value);
    }

    /// <summary>The longest delay between retries.</summary>
    public TimeSpan? MaxRetryDelay
    {
        get => Get<TimeSpan>(nameof(FunctionsOptions.MaxRetryDelay));
        set => Set(nameof(FunctionsOptions.MaxRetryDelay), value);
    }

    /// <summary>Requests queued per partition before the worker pauses it.</summary>
    public int? MaxInFlightPerPartition
    {
        get => Get<int>(nameof(FunctionsOptions.MaxInFlightPerPartition));
        set => Set(nameof(FunctionsOptions.MaxInFlightPerPartition), value);
    }

    /// <summary>The addresses a standalone functions process serves its health checks on.</summary>
    public string? HealthUrls
    {
        get => GetText(nameof(FunctionsOptions.HealthUrls));
        set => SetText(nameof(FunctionsOptions.HealthUrls), value);
    }
}
