using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.LocalRun;

/// <summary>Checks the rules of <see cref="LocalRunOptions"/> that data annotations cannot express, at startup.</summary>
internal sealed class LocalRunOptionsValidator : IValidateOptions<LocalRunOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalRunOptions options) =>
        options.DataPath is { } path && (string.IsNullOrWhiteSpace(path) || path.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            ? ValidateOptionsResult.Fail("LocalRun:DataPath must be a folder path.")
            : ValidateOptionsResult.Success;
}
