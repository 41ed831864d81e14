using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace BrokerChat.Kafka.Embedded;

/// <summary>
/// P/Invoke declarations for librdkafka's mock cluster (<c>rdkafka_mock.h</c>, an experimental API with no ABI
/// guarantee: re-check these signatures on every librdkafka.redist upgrade).
/// </summary>
/// <remarks>
/// Exactly one copy of librdkafka may be loaded: Confluent.Kafka picks the file (on Debian 12 that is
/// <c>centos8-librdkafka.so</c>, because <c>librdkafka.so</c> needs a libsasl2 the system lacks), and handles are
/// passed between Confluent.Kafka and these calls. So the resolver first lets Confluent.Kafka load its library and
/// then binds to the very same file, found in <c>/proc/self/maps</c>. This assembly must register no other resolver.
/// </remarks>
internal static partial class RdKafkaMock
{
    private const string Lib = "librdkafka";
    private static readonly Lock s_gate = new();
    private static IntPtr s_handle;

    static RdKafkaMock() => NativeLibrary.SetDllImportResolver(typeof(RdKafkaMock).Assembly, Resolve);

    /// <summary>Loads librdkafka (through Confluent.Kafka) and binds these imports to the same file.</summary>
    public static void EnsureLoaded()
    {
        if (Resolve(Lib, typeof(RdKafkaMock).Assembly, null) == IntPtr.Zero && !OperatingSystem.IsWindows() && !OperatingSystem.IsMacOS())
        {
            throw new DllNotFoundException("Could not find the librdkafka that Confluent.Kafka loaded.");
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Lib)
        {
            return IntPtr.Zero;
        }

        lock (s_gate)
        {
            if (s_handle != IntPtr.Zero)
            {
                return s_handle;
            }

            Confluent.Kafka.Library.Load();
            foreach (var path in CandidatePaths())
            {
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle))
                {
                    s_handle = handle;
                    return handle;
                }
            }

            // Windows and macOS: default probing finds runtimes/<rid>/native/librdkafka, the file Confluent.Kafka uses.
            return IntPtr.Zero;
        }
    }

    private static IEnumerable<string> CandidatePaths()
    {
        if (OperatingSystem.IsLinux() && File.Exists("/proc/self/maps"))
        {
            var mapped = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(parts => parts.Length >= 6 && parts[5].Contains("librdkafka", StringComparison.Ordinal))
                .Select(parts => parts[5])
                .Distinct(StringComparer.Ordinal)
                .ToList();
            foreach (var path in mapped)
            {
                yield return path;
            }
        }

        var native = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier.StartsWith("linux-arm64", StringComparison.Ordinal) ? "linux-arm64" : "linux-x64", "native");
        yield return Path.Combine(native, "librdkafka.so");
        yield return Path.Combine(native, "centos8-librdkafka.so");
    }

    // --- core handle ---
    [DllImport(Lib)] public static extern IntPtr rd_kafka_conf_new();
    [DllImport(Lib, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, UIntPtr errstrSize);
    [DllImport(Lib)] public static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, UIntPtr errstrSize);

    /// <summary>Reads a NUL-terminated error string written by librdkafka into <paramref name="buffer"/>.</summary>
    public static string ErrorText(byte[] buffer)
    {
        var end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }
    [DllImport(Lib)] public static extern void rd_kafka_destroy(IntPtr rk);

    // --- cluster ---
    [DllImport(Lib)] public static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokers);
    [DllImport(Lib)] public static extern void rd_kafka_mock_cluster_destroy(IntPtr mc);
    [DllImport(Lib)] public static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr mc);
    [DllImport(Lib, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int rd_kafka_mock_topic_create(IntPtr mc, string topic, int partitions, int replicationFactor);
    [DllImport(Lib, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int rd_kafka_mock_partition_delete_records(IntPtr mc, string topic, int partition, long beforeOffset);
    [DllImport(Lib)] public static extern void rd_kafka_mock_set_controller_id(IntPtr mc, int brokerId);
    [DllImport(Lib)] public static extern void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr mc, int ms);
    [DllImport(Lib)] public static extern void rd_kafka_mock_set_group_consumer_session_timeout_ms(IntPtr mc, int ms);
    [DllImport(Lib)] public static extern void rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(IntPtr mc, int ms);

    // --- fault injection ---
    [DllImport(Lib)] public static extern int rd_kafka_mock_broker_set_down(IntPtr mc, int brokerId);
    [DllImport(Lib)] public static extern int rd_kafka_mock_broker_set_up(IntPtr mc, int brokerId);
    [DllImport(Lib)] public static extern int rd_kafka_mock_broker_set_rtt(IntPtr mc, int brokerId, int rttMs);

    // --- advertised address (Metadata only; the listener stays where it is) ---
    [DllImport(Lib, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern void rd_kafka_mock_broker_set_host_port(IntPtr mc, int brokerId, string host, int port);
}
