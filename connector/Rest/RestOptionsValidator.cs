using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Rest;

/// <summary>Checks the rules of <see cref="RestOptions"/> that data annotations cannot express, at startup.</summary>
internal sealed class RestOptionsValidator : IValidateOptions<RestOptions>
{
    public ValidateOptionsResult Validate(string? name, RestOptions options) =>
        options.ExistenceTimeout > TimeSpan.Zero
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Rest:ExistenceTimeout must be positive.");
}
