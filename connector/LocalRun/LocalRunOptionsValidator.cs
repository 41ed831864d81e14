using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.LocalRun;

/// <summary>Checks the rules of <see cref="LocalRunOptions"/> that data annotations cannot express, at startup.</summary>
internal sealed class LocalRunOptionsValidator : IValidateOptions<LocalRunOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalRunOptions options) =>
        string.IsNullOrWhiteSpace(options.DataPath) || options.DataPath.IndexOfAny(Path.GetInvalidPathChars()) >= 0
            ? ValidateOptionsResult.Fail("LocalRun:DataPath must be a folder path.")
            : ValidateOptionsResult.Success;
}
