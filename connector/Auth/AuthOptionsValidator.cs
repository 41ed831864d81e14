using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Auth;

/// <summary>Checks the rules of <see cref="AuthOptions"/> that data annotations cannot express, at startup.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (options.AccessKeys.Any(k => k.Length < options.MinimumKeyLength))
        {
            failures.Add($"Every Auth:AccessKeys entry must be at least {options.MinimumKeyLength} characters.");
        }

        foreach (var (key, value) in new[] { ("Auth:ConnectionString", options.ConnectionString), ("Auth:SecondaryConnectionString", options.SecondaryConnectionString) })
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            // The reason never quotes the string: it holds a secret.
            if (WebPubSubConnectionString.Parse(value, out var failure) is not { } parsed)
            {
                failures.Add($"{key} is not a Web PubSub connection string: {failure}");
            }
            else if (parsed.AccessKey.Length < options.MinimumKeyLength)
            {
                failures.Add($"The AccessKey of {key} must be at least {options.MinimumKeyLength} characters.");
            }
        }

        if (!string.IsNullOrEmpty(options.SecondaryConnectionString) && string.IsNullOrEmpty(options.ConnectionString) && options.AccessKeys.Count == 0)
        {
            failures.Add("Auth:SecondaryConnectionString only verifies tokens; set Auth:ConnectionString (or Auth:AccessKeys) for the key that signs.");
        }

        if (options.NegotiateTokenLifetime <= TimeSpan.Zero)
        {
            failures.Add("Auth:NegotiateTokenLifetime must be positive.");
        }

        if (options.ClockSkew < TimeSpan.Zero)
        {
            failures.Add("Auth:ClockSkew must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
