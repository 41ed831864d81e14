using System.Globalization;

namespace BrokerChat.Connector.Tests.HostileInput;

/// <summary>
/// Generated hostile input for every parser of untrusted bytes (see <see cref="FuzzTargets"/>). The default run gives
/// each parser <see cref="DefaultInputs"/> inputs from a fixed seed, within <see cref="DefaultBudget"/>; set
/// <c>BROKERCHAT_FUZZ_SEED</c> for other inputs and <c>BROKERCHAT_FUZZ_INPUTS</c> for a longer run (no time budget
/// then), and <c>BROKERCHAT_FUZZ_REPORT</c> to append each parser's figures to a file. The seed is printed, so a
/// failure is reproduced by running again with it.
/// </summary>
public sealed class ParserFuzzTests
{
    /// <summary>Inputs per parser in the default run (thirteen parsers: 130,000 inputs).</summary>
    public const int DefaultInputs = 10_000;

    /// <summary>Seed of the default run.</summary>
    public const int DefaultSeed = 20_261_123;

    /// <summary>Processor time each parser may take in the default run (see <see cref="ThreadClock"/>); all of them together stay under 20 s.</summary>
    private static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(1.8);

    public static TheoryData<string> Parsers => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Parsers))]
    public void ParserGivesEveryGeneratedInputAResultOrItsDocumentedErrorWithBoundedAllocation(string parser)
    {
        var seed = Setting("BROKERCHAT_FUZZ_SEED") ?? DefaultSeed;
        var inputs = Setting("BROKERCHAT_FUZZ_INPUTS");
        var target = FuzzTargets.Find(parser);

        var report = Fuzzer.Run(target, Fuzzer.TargetSeed(seed, parser), inputs ?? DefaultInputs, inputs is null ? DefaultBudget : TimeSpan.MaxValue);

        var line = $"BROKERCHAT_FUZZ_SEED={seed} " + Fuzzer.Describe(report);
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("BROKERCHAT_FUZZ_REPORT") is { Length: > 0 } file)
        {
            File.AppendAllLines(file, [line]);
        }

        Assert.True(report.Failures.Count == 0, $"BROKERCHAT_FUZZ_SEED={seed}, {parser}:\n" + string.Join("\n", report.Failures));
        Assert.True(report.Inputs >= (inputs ?? DefaultInputs), $"Only {report.Inputs:N0} inputs ran within {DefaultBudget.TotalSeconds} s: " + Fuzzer.Describe(report));
        Assert.InRange(report.Accepted, 1, report.Inputs - 1); // some mutations still parse, most do not: the generator reaches both sides
    }

    private static int? Setting(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? int.Parse(value, CultureInfo.InvariantCulture) : null;
}
