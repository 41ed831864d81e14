using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Runtime;

namespace BrokerChat.LoadTool;

/// <summary>
/// Where a process's managed memory goes, by type: writes a heap dump of the process, walks the objects reachable
/// from its roots (garbage not yet collected is left out), and lists the types holding the most bytes, divided by
/// the number of connections it holds.
/// </summary>
internal static class HeapReport
{
    public static string Create(int processId, int connections, int top = 30)
    {
        var path = Path.Combine(Path.GetTempPath(), $"brokerchat-heap-{processId}.dmp");
        try
        {
            new DiagnosticsClient(processId).WriteDump(DumpType.WithHeap, path, logDumpGeneration: false);
            using var target = DataTarget.LoadDump(path);
            // The connector runs on the same .NET runtime as this tool, so its data-access library is next to ours.
            var dac = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libmscordaccore.so");
            using var runtime = target.ClrVersions[0].CreateRuntime(dac, ignoreMismatch: true);
            var byType = LiveBytesByType(runtime.Heap, out var total);
            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"Live managed objects: {total / 1024.0 / 1024:F1} MB, {total / (double)connections:F0} B per connection ({connections:N0} connections).");
            report.AppendLine();
            report.AppendLine("| type | bytes per connection | objects per connection |");
            report.AppendLine("|---|---|---|");
            foreach (var (name, (count, size)) in byType.OrderByDescending(t => t.Value.Size).Take(top))
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"| `{name}` | {size / (double)connections:F0} | {count / (double)connections:F2} |");
            }

            return report.ToString();
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Dictionary<string, (long Count, long Size)> LiveBytesByType(ClrHeap heap, out long total)
    {
        var live = new HashSet<ulong>();
        var pending = new Stack<ClrObject>();
        foreach (var root in heap.EnumerateRoots())
        {
            if (root.Object.IsValid && live.Add(root.Object.Address))
            {
                pending.Push(root.Object);
            }
        }

        var byType = new Dictionary<string, (long Count, long Size)>();
        total = 0;
        while (pending.TryPop(out var obj))
        {
            var name = obj.Type?.Name ?? "(unknown)";
            var size = (long)obj.Size;
            var (count, bytes) = byType.GetValueOrDefault(name);
            byType[name] = (count + 1, bytes + size);
            total += size;
            foreach (var reference in obj.EnumerateReferences(carefully: false, considerDependantHandles: true))
            {
                if (reference.IsValid && live.Add(reference.Address))
                {
                    pending.Push(reference);
                }
            }
        }

        return byType;
    }
}
