using System.Reflection;
using System.Text;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Hubs;

/// <summary>
/// One user-event or invocation method of a hub, bound once at startup: how to fill its parameters from an event and
/// how to turn what it returns into an answer.
/// </summary>
internal sealed class HubMethod
{
    private readonly MethodInfo _method;
    private readonly Func<HubEventContext, object?>[] _arguments;
    private readonly Func<object?, ValueTask<MessageData?>> _result;
    private readonly bool[] _batchTakesToken;

    private HubMethod(MethodInfo method, Func<HubEventContext, object?>[] arguments, Func<object?, ValueTask<MessageData?>> result, bool batch)
    {
        _method = method;
        _arguments = arguments;
        _result = result;
        IsBatch = batch;
        _batchTakesToken = [.. method.GetParameters().Select(p => p.ParameterType == typeof(CancellationToken))];
    }

    /// <summary>The method's name, for logs.</summary>
    public string Name => $"{_method.DeclaringType?.Name}.{_method.Name}";

    /// <summary>Whether it takes a list of events.</summary>
    public bool IsBatch { get; }

    /// <summary>Binds <paramref name="method"/>; throws when a parameter or the return type cannot be bound.</summary>
    public static HubMethod Bind(MethodInfo method, Type contextType, bool batch)
    {
        if (method.IsGenericMethodDefinition)
        {
            throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name} must not be generic.");
        }

        var parameters = method.GetParameters();
        var arguments = new Func<HubEventContext, object?>[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            arguments[i] = batch ? BindBatchParameter(method, parameters[i]) : BindParameter(method, parameters[i], contextType);
        }

        return new HubMethod(method, arguments, BindResult(method), batch);
    }

    /// <summary>Runs the method for one event; the answer is null when it returns nothing.</summary>
    public ValueTask<MessageData?> InvokeAsync(BrokerChatHub hub, HubEventContext context)
    {
        var values = new object?[_arguments.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = _arguments[i](context);
        }

        return _result(Call(hub, values));
    }

    /// <summary>Runs a batch method for <paramref name="events"/>.</summary>
    public async ValueTask InvokeBatchAsync(BrokerChatHub hub, IReadOnlyList<UserEventContext> events)
    {
        var values = new object?[_batchTakesToken.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = _batchTakesToken[i] ? events[0].CancellationToken : events;
        }

        await _result(Call(hub, values)).ConfigureAwait(false);
    }

    private object? Call(BrokerChatHub hub, object?[] values)
    {
        try
        {
            return _method.Invoke(_method.IsStatic ? null : hub, BindingFlags.DoNotWrapExceptions, null, values, null);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{Name} could not be called: {ex.Message}", ex);
        }
    }

    private static Func<HubEventContext, object?> BindParameter(MethodInfo method, ParameterInfo parameter, Type contextType)
    {
        var type = parameter.ParameterType;
        if (type.IsAssignableFrom(contextType))
        {
            return context => context;
        }

        if (type == typeof(CancellationToken))
        {
            return context => context.CancellationToken;
        }

        if (type == typeof(MessageData))
        {
            return context => DataOf(context);
        }

        if (type == typeof(string))
        {
            return context => Encoding.UTF8.GetString(DataOf(context).Bytes.Span);
        }

        if (type == typeof(byte[]))
        {
            return context => DataOf(context).ToArray();
        }

        if (type == typeof(ReadOnlyMemory<byte>))
        {
            return context => DataOf(context).Bytes;
        }

        if (type.IsByRef || type.IsPointer || typeof(HubContext).IsAssignableFrom(type))
        {
            throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name}: parameter '{parameter.Name}' of type {type.Name} cannot be bound.");
        }

        return context => DataOf(context).ToObject(type);
    }

    private static Func<HubEventContext, object?> BindBatchParameter(MethodInfo method, ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (type == typeof(CancellationToken) || type.IsAssignableFrom(typeof(IReadOnlyList<UserEventContext>)))
        {
            return _ => null; // filled by InvokeBatchAsync
        }

        throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name}: a batch method takes an IReadOnlyList<UserEventContext> and optionally a CancellationToken; '{parameter.Name}' is a {type.Name}.");
    }

    private static MessageData DataOf(HubEventContext context) => context switch
    {
        UserEventContext user => user.Data,
        InvocationContext invocation => invocation.Data,
        _ => MessageData.From(DataType.Binary, ReadOnlyMemory<byte>.Empty),
    };

    private static Func<object?, ValueTask<MessageData?>> BindResult(MethodInfo method)
    {
        var type = method.ReturnType;
        if (type == typeof(void))
        {
            return static _ => ValueTask.FromResult<MessageData?>(null);
        }

        if (type == typeof(Task))
        {
            return static async value =>
            {
                await ((Task)value!).ConfigureAwait(false);
                return null;
            };
        }

        if (type == typeof(ValueTask))
        {
            return static async value =>
            {
                await ((ValueTask)value!).ConfigureAwait(false);
                return null;
            };
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var result = type.GetProperty(nameof(Task<int>.Result))!;
            return async value =>
            {
                var task = (Task)value!;
                await task.ConfigureAwait(false);
                return Answer(result.GetValue(task));
            };
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            var asTask = type.GetMethod(nameof(ValueTask<int>.AsTask))!;
            var result = typeof(Task<>).MakeGenericType(type.GetGenericArguments()[0]).GetProperty(nameof(Task<int>.Result))!;
            return async value =>
            {
                var task = (Task)asTask.Invoke(value, null)!;
                await task.ConfigureAwait(false);
                return Answer(result.GetValue(task));
            };
        }

        return static value => ValueTask.FromResult(Answer(value));
    }

    private static MessageData? Answer(object? value) => value switch
    {
        null => null,
        MessageData data => data,
        string text => MessageData.Text(text),
        byte[] bytes => MessageData.Binary(bytes),
        ReadOnlyMemory<byte> memory => MessageData.Binary(memory),
        _ => MessageData.FromObject(value, value.GetType()),
    };
}
