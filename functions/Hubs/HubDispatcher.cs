using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.Functions.Hubs;

/// <summary>
/// Runs one handler: a DI scope of its own, a new hub instance from it, and the application's middleware around the
/// call, in registration order.
/// </summary>
internal sealed class HubDispatcher(IServiceScopeFactory scopes)
{
    /// <summary>Runs <paramref name="call"/> on a new instance of <paramref name="hub"/>, inside the middleware, and returns what it returned.</summary>
    public async ValueTask<T?> RunAsync<T>(HubDescriptor hub, HubHandlerKind kind, string? eventName, IReadOnlyList<HubContext> contexts, Func<BrokerChatHub, ValueTask<T>> call)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var services = scope.ServiceProvider;
            foreach (var context in contexts)
            {
                context.Services = services;
            }

            var fromServices = (BrokerChatHub?)services.GetService(hub.Type);
            var instance = fromServices ?? (BrokerChatHub)ActivatorUtilities.CreateInstance(services, hub.Type);
            try
            {
                T? result = default;
                HubHandlerDelegate pipeline = async _ => result = await call(instance).ConfigureAwait(false);
                var middleware = services.GetServices<IHubMiddleware>().ToArray();
                for (var i = middleware.Length - 1; i >= 0; i--)
                {
                    var next = pipeline;
                    var current = middleware[i];
                    pipeline = invocation => current.InvokeAsync(invocation, next);
                }

                await pipeline(new HubInvocation(kind, hub.Name, eventName, contexts[0], contexts.Count)).ConfigureAwait(false);
                return result;
            }
            finally
            {
                // An instance DI did not make is the dispatcher's to dispose.
                if (fromServices is null)
                {
                    switch (instance)
                    {
                        case IAsyncDisposable asyncDisposable:
                            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                            break;
                        case IDisposable disposable:
                            disposable.Dispose();
                            break;
                    }
                }
            }
        }
    }
}
