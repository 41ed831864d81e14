using Microsoft.Extensions.Options;

namespace BrokerChat.History;

/// <summary>Checks the rules of <see cref="HistoryOptions"/> that data annotations cannot express, at startup.</summary>
public sealed class HistoryOptionsValidator : IValidateOptions<HistoryOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, HistoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.AnyEnabled && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("History:ConnectionString is required when history is on.");
        }

        Positive(failures, "History:RetryDelay", options.RetryDelay);
        Positive(failures, "History:MaxRetryDelay", options.MaxRetryDelay);
        Positive(failures, "History:CommandTimeout", options.CommandTimeout);
        Positive(failures, "History:MaxAge", options.MaxAge);
        Positive(failures, "History:TrimInterval", options.TrimInterval);
        if (options.FlushInterval < TimeSpan.Zero || options.FlushInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add("History:FlushInterval must be between 0 and 1 minute.");
        }

        if (options.MaxRetryDelay < options.RetryDelay)
        {
            failures.Add("History:MaxRetryDelay must not be shorter than History:RetryDelay.");
        }

        if (options.DefaultPageSize > options.MaxPageSize)
        {
            failures.Add("History:DefaultPageSize must not exceed History:MaxPageSize.");
        }

        foreach (var (hub, settings) in options.Hubs)
        {
            if (settings.MaxAge is { } age && age <= TimeSpan.Zero)
            {
                failures.Add($"History:Hubs:{hub}:MaxAge must be positive.");
            }

            if (settings.MaxMessagesPerRoom is < 1)
            {
                failures.Add($"History:Hubs:{hub}:MaxMessagesPerRoom must be at least 1.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{key} must be positive.");
        }
    }
}
