using System.Globalization;

namespace BrokerChat.Connector.Tests.HostileInput;

/// <summary>What one target made of a run.</summary>
internal sealed record FuzzReport(
    string Target,
    int Seed,
    int Inputs,
    int Accepted,
    TimeSpan Elapsed,
    TimeSpan Generating,
    long LargestInput,
    long MostAllocated,
    IReadOnlyList<string> Failures);

/// <summary>
/// Feeds a target generated inputs until it has run <c>inputs</c> of them or the time budget is spent, checking each
/// outcome: no exception but the documented ones, a reason with every refusal, and no more allocation than the
/// target's bound for the input's size (measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/>). Time is
/// the test thread's processor time (<see cref="ThreadClock"/>), so a busy machine slows a run but does not fail it.
/// </summary>
internal static class Fuzzer
{
    private const int MaxFailuresKept = 5;

    public static FuzzReport Run(FuzzTarget target, int seed, int inputs, TimeSpan budget)
    {
        var failures = new List<string>();
        var accepted = 0;
        long largest = 0;
        long mostAllocated = 0;

        // The valid inputs first: they must be accepted, or the mutations start from something the parser never reads.
        foreach (var (valid, i) in target.Seeds.Select((s, i) => (s, i)))
        {
            var problem = Check(target, valid, out var outcome);
            if (problem is not null || !outcome.Accepted)
            {
                failures.Add($"valid input {i} was not accepted: {problem ?? target.Prepare(valid)().Reason}");
            }
        }

        var generator = new InputGenerator(seed, target.Shape, target.Seeds);
        var clock = new ThreadClock();
        var run = 0;
        var generating = TimeSpan.Zero;
        while (run < inputs && clock.Elapsed < budget && failures.Count < MaxFailuresKept)
        {
            var started = clock.Elapsed;
            var input = generator.Next();
            generating += clock.Elapsed - started;
            run++;
            largest = Math.Max(largest, input.Length);
            var problem = Check(target, input, out var outcome);
            if (problem is not null)
            {
                failures.Add($"input #{run} ({input.Length} bytes, starts {Preview(input)}): {problem}");
                continue;
            }

            if (outcome.Accepted)
            {
                accepted++;
            }

            mostAllocated = Math.Max(mostAllocated, outcome.Allocated);
        }

        return new FuzzReport(target.Name, seed, run, accepted, clock.Elapsed, generating, largest, mostAllocated, failures);
    }

    /// <summary>Runs one input; returns what is wrong with the outcome, or null.</summary>
    private static string? Check(FuzzTarget target, byte[] input, out (bool Accepted, long Allocated) outcome)
    {
        outcome = default;
        var run = target.Prepare(input);
        var before = GC.GetAllocatedBytesForCurrentThread();
        FuzzOutcome result;
        try
        {
            result = run();
        }
        catch (Exception ex) when (target.DocumentedErrors.Any(t => t.IsInstanceOfType(ex)))
        {
            result = FuzzOutcome.Refused(ex.Message);
        }
        catch (Exception ex)
        {
            return $"undocumented {ex.GetType().Name}: {ex.Message}" + (Environment.GetEnvironmentVariable("BROKERCHAT_FUZZ_TRACE") is { Length: > 0 } ? "\n" + ex : "");
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        outcome = (result.Accepted, allocated);
        if (!result.Accepted && string.IsNullOrWhiteSpace(result.Reason))
        {
            return "refused without a reason";
        }

        var bound = target.AllocationBound(input.Length);
        return allocated > bound ? $"allocated {allocated:N0} bytes, over the bound of {bound:N0}" : null;
    }

    private static string Preview(byte[] input) =>
        Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 48))) + (input.Length > 48 ? "…" : "");

    /// <summary>A seed per target, derived from the run's seed and the target's name (stable across processes, unlike string hashes).</summary>
    public static int TargetSeed(int runSeed, string target)
    {
        var hash = 2166136261u;
        foreach (var c in target)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return runSeed ^ (int)hash;
    }

    public static string Describe(FuzzReport report) => string.Create(CultureInfo.InvariantCulture,
        $"{report.Target}: {report.Inputs:N0} inputs ({report.Accepted:N0} accepted) in {report.Elapsed.TotalSeconds:F2} s{(ThreadClock.IsProcessorTime ? " of processor time" : "")} ({report.Generating.TotalSeconds:F2} s of it generating), largest {report.LargestInput:N0} bytes, most allocated for one input {report.MostAllocated:N0} bytes, target seed {report.Seed}");
}
