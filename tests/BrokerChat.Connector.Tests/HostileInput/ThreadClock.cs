using System.Diagnostics;
using System.Runtime.InteropServices;

namespace BrokerChat.Connector.Tests.HostileInput;

/// <summary>
/// The processor time the current thread has used (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), so that a time budget
/// measures the work done rather than how busy the machine is with other test classes and builds; elsewhere,
/// elapsed time.
/// </summary>
internal sealed class ThreadClock
{
    private const int ClockThreadCpuTime = 3;
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly TimeSpan _start;

    public ThreadClock() => _start = Read();

    /// <summary>Whether <see cref="Elapsed"/> is the thread's processor time (else it is wall-clock time).</summary>
    public static bool IsProcessorTime { get; } = OperatingSystem.IsLinux();

    public TimeSpan Elapsed => Read() - _start;

    private TimeSpan Read()
    {
        if (!IsProcessorTime || ClockGetTime(ClockThreadCpuTime, out var now) != 0)
        {
            return _wall.Elapsed;
        }

        return TimeSpan.FromSeconds(now.Seconds) + TimeSpan.FromTicks(now.Nanoseconds / 100);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);
}
