using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Edge.Agent.Mqtt;
using static Edge.Agent.Interop.Mosquitto.MosquittoNative;

namespace Edge.Agent.Interop.Mosquitto;

/// <summary>What libmosquitto reports, already copied out of native memory. Called on the thread running <see cref="MosquittoConnection.Loop"/>.</summary>
internal interface IMosquittoEvents
{
    void OnConnect(int reasonCode, bool sessionPresent);
    /// <summary><paramref name="errno"/> is read on entry, before managed code can overwrite it (it explains MOSQ_ERR_ERRNO).</summary>
    void OnDisconnect(int reasonCode, int errno);
    void OnPublish(int mid, int reasonCode);
    void OnMessage(MqttMessage message);
    void OnSubscribe(int mid, int grantedQos);
    /// <summary>Asked before a log line is copied: libmosquitto logs every packet at debug level.</summary>
    bool WantsLog(int level);
    void OnLog(int level, string text);
    /// <summary>An exception thrown by one of the methods above; it must not reach native code.</summary>
    void OnCallbackFailure(string callback, Exception exception);
}

/// <summary>
/// Safe wrapper over one <c>struct mosquitto</c>: managed arguments in, return codes out, callbacks forwarded to an
/// <see cref="IMosquittoEvents"/> through a weak GCHandle. Network calls return the MOSQ_ERR code (and errno) because
/// their failures are expected events for the caller's reconnect logic; set-up calls throw <see cref="MosquittoException"/>.
/// </summary>
internal sealed unsafe class MosquittoConnection : IDisposable
{
    private readonly MosquittoHandle _handle;
    private readonly bool _mqtt5;

    public MosquittoConnection(string clientId, bool cleanStart, bool mqtt5, IMosquittoEvents events)
    {
        MosquittoLibrary.EnsureInitialized();
        _mqtt5 = mqtt5;
        // Weak: the loop thread keeps the client alive while callbacks can run; an abandoned client can still be collected.
        var target = GCHandle.ToIntPtr(GCHandle.Alloc(events, GCHandleType.Weak));
        _handle = mosquitto_new(clientId, cleanStart, target);
        if (_handle.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            GCHandle.FromIntPtr(target).Free();
            throw new MosquittoException(errno == 12 ? MOSQ_ERR_NOMEM : MOSQ_ERR_INVAL, MosquittoLibrary.ErrnoText(errno),
                $"mosquitto_new failed for client id \"{clientId}\": {MosquittoLibrary.ErrnoText(errno)}");
        }
        _handle.CallbackTarget = target;
        try
        {
            MosquittoLibrary.Check(mosquitto_int_option(_handle, MOSQ_OPT_PROTOCOL_VERSION, mqtt5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311), "setting the MQTT protocol version");
            // Our own thread calls mosquitto_loop, so the library must lock as if threaded: publish then only queues and wakes the loop.
            MosquittoLibrary.Check(mosquitto_threaded_set(_handle, true), "mosquitto_threaded_set");
            MosquittoLibrary.Check(mosquitto_int_option(_handle, MOSQ_OPT_TCP_NODELAY, 1), "setting TCP_NODELAY"); // request/response latency
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
        mosquitto_connect_v5_callback_set(_handle, &OnConnectNative);
        mosquitto_disconnect_v5_callback_set(_handle, &OnDisconnectNative);
        mosquitto_publish_v5_callback_set(_handle, &OnPublishNative);
        mosquitto_message_v5_callback_set(_handle, &OnMessageNative);
        mosquitto_subscribe_callback_set(_handle, &OnSubscribeNative);
        mosquitto_log_callback_set(_handle, &OnLogNative);
    }

    // ---- Set-up (before the first connect) ----

    public void SetMaxInflight(int count) =>
        MosquittoLibrary.Check(mosquitto_max_inflight_messages_set(_handle, (uint)count), $"setting max inflight messages to {count}");

    public void SetCredentials(string? username, string? password) =>
        MosquittoLibrary.Check(mosquitto_username_pw_set(_handle, username, password), "setting the username and password");

    public void SetWill(string topic, ReadOnlySpan<byte> payload, int qos, bool retain)
    {
        fixed (byte* p = payload)
            MosquittoLibrary.Check(mosquitto_will_set(_handle, topic, payload.Length, p, qos, retain), $"setting the will on \"{topic}\"");
    }

    public void SetTls(string caFile, string? certFile, string? keyFile, bool verifyHostname)
    {
        MosquittoLibrary.Check(mosquitto_tls_set(_handle, caFile, null, certFile, keyFile, 0), $"configuring TLS (CA file {caFile})");
        MosquittoLibrary.Check(mosquitto_tls_insecure_set(_handle, !verifyHostname), "setting TLS hostname verification");
    }

    // ---- Network (return codes, not exceptions) ----

    /// <summary>Blocking TCP (and TLS) connect, then CONNECT is queued; the CONNACK arrives through <see cref="Loop"/>.</summary>
    public int Connect(string host, int port, int keepAliveSeconds, uint? sessionExpirySeconds, out int errno)
    {
        nint props = 0;
        try
        {
            if (sessionExpirySeconds is uint expiry && _mqtt5)
                MosquittoLibrary.Check(mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, expiry), "adding the session expiry interval");
            int rc = mosquitto_connect_bind_v5(_handle, host, port, keepAliveSeconds, null, props);
            errno = Marshal.GetLastPInvokeError();
            return rc;
        }
        finally
        {
            mosquitto_property_free_all(&props); // the library keeps its own copy for reconnects
        }
    }

    /// <summary>Reconnects with the host, port and CONNECT properties of the last <see cref="Connect"/>.</summary>
    public int Reconnect(out int errno)
    {
        int rc = mosquitto_reconnect(_handle);
        errno = Marshal.GetLastPInvokeError();
        return rc;
    }

    /// <summary>One turn of the network loop: waits up to <paramref name="timeoutMs"/> for traffic, handles it and keepalives.</summary>
    public int Loop(int timeoutMs, out int errno)
    {
        int rc = mosquitto_loop(_handle, timeoutMs, 1);
        errno = Marshal.GetLastPInvokeError();
        return rc;
    }

    /// <summary>Queues a normal DISCONNECT (the broker discards the will); wakes the loop thread to send it.</summary>
    public int Disconnect() => mosquitto_disconnect_v5(_handle, MQTT_RC_NORMAL_DISCONNECTION, 0);

    public int Publish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain, MqttPublishProperties? properties, out int mid)
    {
        nint props = 0;
        try
        {
            if (properties is not null && _mqtt5) AddPublishProperties(&props, properties);
            int m = 0, rc;
            fixed (byte* p = payload)
                rc = mosquitto_publish_v5(_handle, &m, topic, payload.Length, p, qos, retain, props);
            mid = m;
            return rc;
        }
        finally
        {
            mosquitto_property_free_all(&props); // publish copies what it keeps
        }
    }

    public int Subscribe(string topicFilter, int qos, out int mid)
    {
        int m = 0;
        int rc = mosquitto_subscribe(_handle, &m, topicFilter, qos);
        mid = m;
        return rc;
    }

    public void Dispose() => _handle.Dispose();

    private static void AddPublishProperties(nint* props, MqttPublishProperties properties)
    {
        if (properties.ResponseTopic is { } responseTopic)
            MosquittoLibrary.Check(mosquitto_property_add_string(props, MQTT_PROP_RESPONSE_TOPIC, responseTopic), "adding the response topic");
        if (properties.CorrelationData is { } correlation)
        {
            fixed (byte* c = correlation.Span)
                MosquittoLibrary.Check(mosquitto_property_add_binary(props, MQTT_PROP_CORRELATION_DATA, c, checked((ushort)correlation.Length)), "adding correlation data");
        }
        if (properties.MessageExpirySeconds is uint expiry)
            MosquittoLibrary.Check(mosquitto_property_add_int32(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, expiry), "adding the message expiry interval");
        if (properties.ContentType is { } contentType)
            MosquittoLibrary.Check(mosquitto_property_add_string(props, MQTT_PROP_CONTENT_TYPE, contentType), "adding the content type");
        if (properties.UserProperties is { } user)
            foreach (var (name, value) in user)
                MosquittoLibrary.Check(mosquitto_property_add_string_pair(props, MQTT_PROP_USER_PROPERTY, name, value), $"adding user property \"{name}\"");
    }

    // ---- Callbacks: copy everything out, never let an exception reach native code ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static IMosquittoEvents? Target(nint obj) => obj == 0 ? null : GCHandle.FromIntPtr(obj).Target as IMosquittoEvents;

    [UnmanagedCallersOnly]
    private static void OnConnectNative(nint mosq, nint obj, int rc, int flags, nint props)
    {
        var events = Target(obj);
        try { events?.OnConnect(rc, (flags & 1) != 0); }
        catch (Exception e) { Report(events, "on_connect", e); }
    }

    [UnmanagedCallersOnly]
    private static void OnDisconnectNative(nint mosq, nint obj, int rc, nint props)
    {
        int errno = Marshal.GetLastSystemError();
        var events = Target(obj);
        try { events?.OnDisconnect(rc, errno); }
        catch (Exception e) { Report(events, "on_disconnect", e); }
    }

    [UnmanagedCallersOnly]
    private static void OnPublishNative(nint mosq, nint obj, int mid, int reasonCode, nint props)
    {
        var events = Target(obj);
        try { events?.OnPublish(mid, reasonCode); }
        catch (Exception e) { Report(events, "on_publish", e); }
    }

    [UnmanagedCallersOnly]
    private static void OnMessageNative(nint mosq, nint obj, mosquitto_message* message, nint props)
    {
        var events = Target(obj);
        try
        {
            if (events is null || message is null) return;
            events.OnMessage(CopyMessage(message, props));
        }
        catch (Exception e) { Report(events, "on_message", e); }
    }

    [UnmanagedCallersOnly]
    private static void OnSubscribeNative(nint mosq, nint obj, int mid, int qosCount, int* grantedQos)
    {
        var events = Target(obj);
        try { events?.OnSubscribe(mid, qosCount > 0 && grantedQos is not null ? grantedQos[0] : 0x80); }
        catch (Exception e) { Report(events, "on_subscribe", e); }
    }

    [UnmanagedCallersOnly]
    private static void OnLogNative(nint mosq, nint obj, int level, byte* text)
    {
        var events = Target(obj);
        try
        {
            if (events is not null && events.WantsLog(level)) events.OnLog(level, Marshal.PtrToStringUTF8((nint)text) ?? "");
        }
        catch (Exception e) { Report(events, "on_log", e); }
    }

    private static void Report(IMosquittoEvents? events, string callback, Exception e)
    {
        try { events?.OnCallbackFailure(callback, e); }
        catch { /* the last line of defence: nothing may escape into libmosquitto */ }
    }

    /// <summary>Copies topic, payload and the MQTT 5 properties we expose; the native message dies when the callback returns.</summary>
    private static MqttMessage CopyMessage(mosquitto_message* m, nint props)
    {
        string topic = Marshal.PtrToStringUTF8((nint)m->topic) ?? "";
        byte[] payload = m->payloadlen > 0 ? new ReadOnlySpan<byte>(m->payload, m->payloadlen).ToArray() : [];
        string? responseTopic = null;
        byte[]? correlation = null;
        List<KeyValuePair<string, string>>? user = null;

        for (nint p = props; p != 0; p = mosquitto_property_next(p))
        {
            switch (mosquitto_property_identifier(p))
            {
                case MQTT_PROP_RESPONSE_TOPIC:
                    responseTopic = ReadString(p, MQTT_PROP_RESPONSE_TOPIC);
                    break;
                case MQTT_PROP_CORRELATION_DATA:
                {
                    byte* value = null;
                    ushort len = 0;
                    if (mosquitto_property_read_binary(p, MQTT_PROP_CORRELATION_DATA, &value, &len, false) != 0)
                    {
                        correlation = new ReadOnlySpan<byte>(value, len).ToArray();
                        NativeMemory.Free(value); // malloc'd by the library; the caller frees
                    }
                    break;
                }
                case MQTT_PROP_USER_PROPERTY:
                {
                    byte* name = null, value = null;
                    if (mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value, false) != 0)
                    {
                        (user ??= []).Add(new(Utf8(name), Utf8(value)));
                        NativeMemory.Free(name);
                        NativeMemory.Free(value);
                    }
                    break;
                }
            }
        }
        return new MqttMessage(topic, payload, m->qos, m->retain != 0, responseTopic,
            correlation is null ? null : (ReadOnlyMemory<byte>?)correlation, (IReadOnlyList<KeyValuePair<string, string>>?)user ?? []);
    }

    private static string? ReadString(nint p, int identifier)
    {
        byte* value = null;
        if (mosquitto_property_read_string(p, identifier, &value, false) == 0) return null;
        string s = Utf8(value);
        NativeMemory.Free(value);
        return s;
    }

    private static string Utf8(byte* s) => s is null ? "" : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(s));
}
