using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace BrokerChat.Testing.Network;

/// <summary>
/// Runs code on a thread that has entered a Linux network namespace. A socket belongs to the namespace it was created
/// in for its whole life, whatever thread uses it later, so a test process can hold sockets of several hosts at once:
/// it creates each on its host's thread and uses it as any other socket.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly BlockingCollection<Action> _work = new(boundedCapacity: 1024);
    private readonly Thread _thread;
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NetworkNamespace(string name)
    {
        Name = name;
        _thread = new Thread(Run) { IsBackground = true, Name = $"netns {name}" };
        _thread.Start();
        _entered.Task.GetAwaiter().GetResult();
    }

    /// <summary>The namespace's name, as <c>ip netns</c> knows it.</summary>
    public string Name { get; }

    /// <summary>Runs <paramref name="create"/> inside the namespace and returns its result.</summary>
    public T Invoke<T>(Func<T> create)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                result.SetResult(create());
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        });
        return result.Task.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
        _work.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    private void Run()
    {
        try
        {
            // The namespace's file stays open only while entering it; the thread stays inside until it ends.
            using (var file = File.OpenHandle($"/run/netns/{Name}"))
            {
                if (setns((int)file.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns into {Name} failed (errno {Marshal.GetLastPInvokeError()}).");
                }
            }

            _entered.SetResult();
        }
        catch (Exception ex)
        {
            _entered.SetException(ex);
            return;
        }

        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }
}
