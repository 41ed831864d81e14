namespace BrokerChat.Connector.Tests.HostileInput;

/// <summary>The shape of a parser's input, which decides the structure-aware mutations it gets.</summary>
internal enum InputShape
{
    /// <summary>JSON text.</summary>
    Json,

    /// <summary>MessagePack.</summary>
    MessagePack,

    /// <summary>ASCII text such as a token or base64.</summary>
    Text,

    /// <summary>Binary framing: only the generic mutations apply.</summary>
    Binary,
}

/// <summary>What a parser made of one input: accepted, or refused with a reason a client or operator can act on.</summary>
internal readonly record struct FuzzOutcome(bool Accepted, string? Reason)
{
    public static FuzzOutcome Ok { get; } = new(true, null);

    public static FuzzOutcome Refused(string? reason) => new(false, reason);
}

/// <summary>
/// One parser of untrusted bytes under generated input. <see cref="Prepare"/> turns an input into the parser call
/// (building what the parser is handed, such as a signed token, is not measured) and that call classifies the
/// result; exceptions of <see cref="DocumentedErrors"/> are the parser's documented way to refuse and count as a
/// refusal with their message, any other exception is a bug. <see cref="Seeds"/> are valid inputs that must be
/// accepted (which also proves the harness reaches past the parser's first check) and that mutations start from.
/// To cover another parser, add one of these to <see cref="FuzzTargets.All"/>.
/// </summary>
internal sealed record FuzzTarget(
    string Name,
    InputShape Shape,
    IReadOnlyList<byte[]> Seeds,
    Func<byte[], Func<FuzzOutcome>> Prepare,
    params Type[] DocumentedErrors)
{
    /// <summary>Fixed allocation allowed per input, on top of <see cref="BytesPerInputByte"/>: exception objects and stack traces, small tables.</summary>
    public long BaseAllocation { get; init; } = 64 * 1024;

    /// <summary>Allocation allowed per byte of input (strings are UTF-16, so a field copied out as text costs two per byte).</summary>
    public int BytesPerInputByte { get; init; } = 16;

    public long AllocationBound(int inputLength) => BaseAllocation + (long)BytesPerInputByte * inputLength;

    public override string ToString() => Name;
}
