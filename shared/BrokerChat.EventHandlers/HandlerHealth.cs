namespace BrokerChat.EventHandlers;

/// <summary>
/// What one process knows of one handler: whether its abuse-protection check passed (and until when that is trusted),
/// and its failures in a row, which hold calls back once there are <see cref="EventHandlerClientOptions.FailuresBeforeBreak"/>
/// (a circuit breaker: after <see cref="EventHandlerClientOptions.BreakDuration"/> one call at a time is let through
/// to try it, and the first success lets every call through again). A failure also forgets the check, so the next
/// call asks again.
/// </summary>
internal sealed class HandlerHealth(EventHandlerClientOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _validUntil = DateTimeOffset.MinValue;
    private DateTimeOffset _refusedUntil = DateTimeOffset.MinValue;
    private DateTimeOffset _brokenUntil = DateTimeOffset.MinValue;
    private int _failures;
    private bool _probing;

    /// <summary>Whether the abuse-protection check passed and is still trusted.</summary>
    public bool IsValidated
    {
        get
        {
            lock (_gate)
            {
                return time.GetUtcNow() < _validUntil;
            }
        }
    }

    /// <summary>Whether the check was refused recently, so calls fail at once until it may be asked again.</summary>
    public bool IsRefused
    {
        get
        {
            lock (_gate)
            {
                return time.GetUtcNow() < _refusedUntil;
            }
        }
    }

    /// <summary>Records the check's outcome.</summary>
    public void Validated(bool allowed)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            _validUntil = allowed ? now + options.ValidationLifetime : DateTimeOffset.MinValue;
            _refusedUntil = allowed ? DateTimeOffset.MinValue : now + options.BreakDuration;
        }
    }

    /// <summary>
    /// Whether a call may go now: true unless the breaker is open, or open-and-cooled with another call already trying
    /// it. A caller let through must report <see cref="Succeeded"/> or <see cref="Failed"/>.
    /// </summary>
    public bool TryEnter()
    {
        lock (_gate)
        {
            if (_failures < options.FailuresBeforeBreak)
            {
                return true;
            }

            if (time.GetUtcNow() < _brokenUntil || _probing)
            {
                return false;
            }

            _probing = true;
            return true;
        }
    }

    /// <summary>The call was answered (any status).</summary>
    public void Succeeded()
    {
        lock (_gate)
        {
            _failures = 0;
            _probing = false;
        }
    }

    /// <summary>
    /// The caller gave up on the call (its own cancellation) before it was answered: it counts neither way, but a call
    /// let through to try an open breaker gives its turn back, so the next call may try.
    /// </summary>
    public void Abandoned()
    {
        lock (_gate)
        {
            _probing = false;
        }
    }

    /// <summary>The call got no answer; returns whether the breaker opened now.</summary>
    public bool Failed()
    {
        lock (_gate)
        {
            _failures++;
            _probing = false;
            _validUntil = DateTimeOffset.MinValue;
            if (_failures < options.FailuresBeforeBreak)
            {
                return false;
            }

            _brokenUntil = time.GetUtcNow() + options.BreakDuration;
            return _failures == options.FailuresBeforeBreak;
        }
    }
}
