namespace Edge.Agent.Mqtt;

/// <summary>
/// Message id → waiting task, for PUBACK/PUBCOMP or SUBACK. libmosquitto may report the ack on its loop thread before
/// the call that queued the packet has returned the mid, so sends are serialised and an ack for an unknown mid that
/// arrives while a send is in progress is parked until that send registers (and discarded when it ends).
/// </summary>
internal sealed class PendingAcks(Func<string, int, Exception?> judge)
{
    private readonly Lock _sendLock = new();   // held across the native call: one send at a time
    private readonly Lock _lock = new();       // guards the tables; never held across native calls
    private readonly Dictionary<int, (TaskCompletionSource Done, string Topic)> _pending = [];
    private readonly Dictionary<int, int> _early = [];
    private bool _sending;
    private bool _open;

    /// <summary>Starts a send; the native call follows, then exactly one <see cref="EndSend"/> or <see cref="Track"/>.</summary>
    public void BeginSend()
    {
        _sendLock.Enter();
        lock (_lock) _sending = true;
    }

    /// <summary>Ends a send without tracking it (QoS 0, or the call failed).</summary>
    public void EndSend()
    {
        lock (_lock) EndLocked();
    }

    /// <summary>
    /// Ends a send by registering the mid it returned: the task completes on the ack (perhaps already parked),
    /// or faults with <paramref name="notConnected"/> when the connection dropped in between (succeeds when that is null).
    /// </summary>
    public Task Track(int mid, string topic, Func<string, Exception>? notConnected)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int? earlyCode = null;
        bool open;
        lock (_lock)
        {
            if (_early.Remove(mid, out int code)) earlyCode = code;
            open = _open;
            if (earlyCode is null && open) _pending[mid] = (done, topic);
            EndLocked();
        }
        if (earlyCode is int c) Complete(done, topic, c);
        else if (!open)
        {
            if (notConnected is null) done.TrySetResult();
            else done.TrySetException(notConnected(topic));
        }
        return done.Task;
    }

    /// <summary>An acknowledgement from the loop thread.</summary>
    public void Ack(int mid, int code)
    {
        TaskCompletionSource? done;
        string topic;
        lock (_lock)
        {
            if (!_pending.Remove(mid, out var entry))
            {
                if (_sending) _early[mid] = code;
                return;
            }
            (done, topic) = entry;
        }
        Complete(done, topic, code);
    }

    /// <summary>The connection is up: new sends may wait for acknowledgements.</summary>
    public void Open()
    {
        lock (_lock) _open = true;
    }

    /// <summary>
    /// The connection is gone: every waiting task fails with <paramref name="error"/> (the library may still deliver
    /// them later: at-least-once), or completes when that is null.
    /// </summary>
    public void FailAll(Func<string, Exception>? error)
    {
        List<(TaskCompletionSource Done, string Topic)> failed;
        lock (_lock)
        {
            _open = false;
            failed = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (var (done, topic) in failed)
        {
            if (error is null) done.TrySetResult();
            else done.TrySetException(error(topic));
        }
    }

    public int Count
    {
        get { lock (_lock) return _pending.Count; }
    }

    private void Complete(TaskCompletionSource done, string topic, int code)
    {
        if (judge(topic, code) is { } error) done.TrySetException(error);
        else done.TrySetResult();
    }

    private void EndLocked()
    {
        _sending = false;
        _early.Clear();
        _sendLock.Exit();
    }
}
