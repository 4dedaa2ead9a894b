using System.Runtime.InteropServices;

namespace Edge.Agent.Interop.Mosquitto;

/// <summary>
/// The libmosquitto 2.x client API (mosquitto.h, mqtt_protocol.h) entry points we use, in header order,
/// with the C types beside each parameter. C <c>bool</c> is one byte (<c>MarshalAs U1</c>); strings are UTF-8.
/// </summary>
internal static unsafe partial class MosquittoNative
{
    public const string Library = "libmosquitto.so.1";

    /// <summary>enum mosq_err_t (the values this binding branches on or names).</summary>
    public const int MOSQ_ERR_CONN_PENDING = -1, MOSQ_ERR_SUCCESS = 0, MOSQ_ERR_NOMEM = 1, MOSQ_ERR_PROTOCOL = 2,
        MOSQ_ERR_INVAL = 3, MOSQ_ERR_NO_CONN = 4, MOSQ_ERR_CONN_REFUSED = 5, MOSQ_ERR_NOT_FOUND = 6,
        MOSQ_ERR_CONN_LOST = 7, MOSQ_ERR_TLS = 8, MOSQ_ERR_PAYLOAD_SIZE = 9, MOSQ_ERR_NOT_SUPPORTED = 10,
        MOSQ_ERR_AUTH = 11, MOSQ_ERR_ACL_DENIED = 12, MOSQ_ERR_UNKNOWN = 13, MOSQ_ERR_ERRNO = 14, MOSQ_ERR_EAI = 15,
        MOSQ_ERR_PROXY = 16, MOSQ_ERR_MALFORMED_UTF8 = 18, MOSQ_ERR_KEEPALIVE = 19, MOSQ_ERR_LOOKUP = 20,
        MOSQ_ERR_MALFORMED_PACKET = 21, MOSQ_ERR_DUPLICATE_PROPERTY = 22, MOSQ_ERR_TLS_HANDSHAKE = 23,
        MOSQ_ERR_QOS_NOT_SUPPORTED = 24, MOSQ_ERR_OVERSIZE_PACKET = 25, MOSQ_ERR_OCSP = 26;

    /// <summary>enum mosq_opt_t.</summary>
    public const int MOSQ_OPT_PROTOCOL_VERSION = 1, MOSQ_OPT_RECEIVE_MAXIMUM = 4, MOSQ_OPT_SEND_MAXIMUM = 5,
        MOSQ_OPT_TCP_NODELAY = 11;

    /// <summary>MQTT_PROTOCOL_* values for MOSQ_OPT_PROTOCOL_VERSION.</summary>
    public const int MQTT_PROTOCOL_V311 = 4, MQTT_PROTOCOL_V5 = 5;

    /// <summary>MOSQ_LOG_* levels passed to the log callback.</summary>
    public const int MOSQ_LOG_INFO = 1 << 0, MOSQ_LOG_NOTICE = 1 << 1, MOSQ_LOG_WARNING = 1 << 2,
        MOSQ_LOG_ERR = 1 << 3, MOSQ_LOG_DEBUG = 1 << 4;

    /// <summary>enum mqtt5_property (mqtt_protocol.h).</summary>
    public const int MQTT_PROP_MESSAGE_EXPIRY_INTERVAL = 2, MQTT_PROP_CONTENT_TYPE = 3, MQTT_PROP_RESPONSE_TOPIC = 8,
        MQTT_PROP_CORRELATION_DATA = 9, MQTT_PROP_SESSION_EXPIRY_INTERVAL = 17, MQTT_PROP_USER_PROPERTY = 38;

    /// <summary>MQTT_RC_NORMAL_DISCONNECTION: a DISCONNECT with this code discards the will.</summary>
    public const int MQTT_RC_NORMAL_DISCONNECTION = 0;

    /// <summary>struct mosquitto_message (2.x): int mid; char *topic; void *payload; int payloadlen; int qos; bool retain.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct mosquitto_message
    {
        public int mid;
        public byte* topic;
        public byte* payload;
        public int payloadlen;
        public int qos;
        public byte retain;
    }

    // ---- Library version, init, cleanup ----

    /// <summary>int mosquitto_lib_version(int *major, int *minor, int *revision)</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_lib_version(int* major, int* minor, int* revision);

    /// <summary>int mosquitto_lib_init(void) — not thread safe; called once per process.</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_lib_init();

    // ---- Client creation and destruction ----

    /// <summary>struct mosquitto *mosquitto_new(const char *id, bool clean_session, void *obj)</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial MosquittoHandle mosquitto_new(string id, [MarshalAs(UnmanagedType.U1)] bool clean_session, nint obj);

    /// <summary>void mosquitto_destroy(struct mosquitto *mosq) — raw pointer: it runs from ReleaseHandle.</summary>
    [LibraryImport(Library)]
    public static partial void mosquitto_destroy(nint mosq);

    // ---- Will, credentials ----

    /// <summary>int mosquitto_will_set(struct mosquitto *, const char *topic, int payloadlen, const void *payload, int qos, bool retain)</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mosquitto_will_set(MosquittoHandle mosq, string topic, int payloadlen, byte* payload, int qos,
        [MarshalAs(UnmanagedType.U1)] bool retain);

    /// <summary>int mosquitto_username_pw_set(struct mosquitto *, const char *username, const char *password)</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mosquitto_username_pw_set(MosquittoHandle mosq, string? username, string? password);

    // ---- Connecting, reconnecting, disconnecting ----

    /// <summary>int mosquitto_connect_bind_v5(struct mosquitto *, const char *host, int port, int keepalive,
    /// const char *bind_address, const mosquitto_property *properties) — blocking TCP connect; properties are kept for reconnects.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int mosquitto_connect_bind_v5(MosquittoHandle mosq, string host, int port, int keepalive,
        string? bind_address, nint properties);

    /// <summary>int mosquitto_reconnect(struct mosquitto *) — reuses host, port and CONNECT properties.</summary>
    [LibraryImport(Library, SetLastError = true)]
    public static partial int mosquitto_reconnect(MosquittoHandle mosq);

    /// <summary>int mosquitto_disconnect_v5(struct mosquitto *, int reason_code, const mosquitto_property *properties)</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_disconnect_v5(MosquittoHandle mosq, int reason_code, nint properties);

    // ---- Publishing, subscribing ----

    /// <summary>int mosquitto_publish_v5(struct mosquitto *, int *mid, const char *topic, int payloadlen, const void *payload,
    /// int qos, bool retain, const mosquitto_property *properties) — the caller frees the properties.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mosquitto_publish_v5(MosquittoHandle mosq, int* mid, string topic, int payloadlen, byte* payload,
        int qos, [MarshalAs(UnmanagedType.U1)] bool retain, nint properties);

    /// <summary>int mosquitto_subscribe(struct mosquitto *, int *mid, const char *sub, int qos)</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mosquitto_subscribe(MosquittoHandle mosq, int* mid, string sub, int qos);

    // ---- Network loop ----

    /// <summary>int mosquitto_loop(struct mosquitto *, int timeout, int max_packets) — select() up to timeout ms, then read, write, keepalive.</summary>
    [LibraryImport(Library, SetLastError = true)]
    public static partial int mosquitto_loop(MosquittoHandle mosq, int timeout, int max_packets);

    /// <summary>int mosquitto_threaded_set(struct mosquitto *, bool threaded) — we drive the loop from our own thread.</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_threaded_set(MosquittoHandle mosq, [MarshalAs(UnmanagedType.U1)] bool threaded);

    // ---- Client options ----

    /// <summary>int mosquitto_int_option(struct mosquitto *, enum mosq_opt_t option, int value)</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_int_option(MosquittoHandle mosq, int option, int value);

    /// <summary>int mosquitto_max_inflight_messages_set(struct mosquitto *, unsigned int max_inflight_messages)</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_max_inflight_messages_set(MosquittoHandle mosq, uint max_inflight_messages);

    // ---- TLS ----

    /// <summary>int mosquitto_tls_set(struct mosquitto *, const char *cafile, const char *capath, const char *certfile,
    /// const char *keyfile, int (*pw_callback)(char *buf, int size, int rwflag, void *userdata))</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mosquitto_tls_set(MosquittoHandle mosq, string? cafile, string? capath, string? certfile,
        string? keyfile, nint pw_callback);

    /// <summary>int mosquitto_tls_insecure_set(struct mosquitto *, bool value) — true skips the hostname check.</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_tls_insecure_set(MosquittoHandle mosq, [MarshalAs(UnmanagedType.U1)] bool value);

    // ---- Callbacks (each runs on the thread calling mosquitto_loop) ----

    /// <summary>void mosquitto_connect_v5_callback_set(struct mosquitto *, void (*)(struct mosquitto *, void *obj, int rc, int flags, const mosquitto_property *))</summary>
    [LibraryImport(Library)]
    public static partial void mosquitto_connect_v5_callback_set(MosquittoHandle mosq, delegate* unmanaged<nint, nint, int, int, nint, void> on_connect);

    /// <summary>void mosquitto_disconnect_v5_callback_set(struct mosquitto *, void (*)(struct mosquitto *, void *obj, int rc, const mosquitto_property *))</summary>
    [LibraryImport(Library)]
    public static partial void mosquitto_disconnect_v5_callback_set(MosquittoHandle mosq, delegate* unmanaged<nint, nint, int, nint, void> on_disconnect);

    /// <summary>void mosquitto_publish_v5_callback_set(struct mosquitto *, void (*)(struct mosquitto *, void *obj, int mid, int reason_code, const mosquitto_property *))</summary>
    [LibraryImport(Library)]
    public static partial void mosquitto_publish_v5_callback_set(MosquittoHandle mosq, delegate* unmanaged<nint, nint, int, int, nint, void> on_publish);

    /// <summary>void mosquitto_message_v5_callback_set(struct mosquitto *, void (*)(struct mosquitto *, void *obj, const struct mosquitto_message *, const mosquitto_property *))</summary>
    [LibraryImport(Library)]
    public static partial void mosquitto_message_v5_callback_set(MosquittoHandle mosq, delegate* unmanaged<nint, nint, mosquitto_message*, nint, void> on_message);

    /// <summary>void mosquitto_subscribe_callback_set(struct mosquitto *, void (*)(struct mosquitto *, void *obj, int mid, int qos_count, const int *granted_qos))</summary>
    [LibraryImport(Library)]
    public static partial void mosquitto_subscribe_callback_set(MosquittoHandle mosq, delegate* unmanaged<nint, nint, int, int, int*, void> on_subscribe);

    /// <summary>void mosquitto_log_callback_set(struct mosquitto *, void (*)(struct mosquitto *, void *obj, int level, const char *str))</summary>
    [LibraryImport(Library)]
    public static partial void mosquitto_log_callback_set(MosquittoHandle mosq, delegate* unmanaged<nint, nint, int, byte*, void> on_log);

    // ---- Utility ----

    /// <summary>const char *mosquitto_strerror(int mosq_errno) — a static string; never freed.</summary>
    [LibraryImport(Library)]
    public static partial byte* mosquitto_strerror(int mosq_errno);

    /// <summary>const char *mosquitto_connack_string(int connack_code) — MQTT 3.1.1 CONNACK return codes.</summary>
    [LibraryImport(Library)]
    public static partial byte* mosquitto_connack_string(int connack_code);

    /// <summary>const char *mosquitto_reason_string(int reason_code) — MQTT 5 reason codes.</summary>
    [LibraryImport(Library)]
    public static partial byte* mosquitto_reason_string(int reason_code);

    // ---- Properties (mosquitto_property lists; read_* results are malloc'd and freed by the caller) ----

    /// <summary>int mosquitto_property_add_binary(mosquitto_property **proplist, int identifier, const void *value, uint16_t len)</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_property_add_binary(nint* proplist, int identifier, byte* value, ushort len);

    /// <summary>int mosquitto_property_add_int32(mosquitto_property **proplist, int identifier, uint32_t value)</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_property_add_int32(nint* proplist, int identifier, uint value);

    /// <summary>int mosquitto_property_add_string(mosquitto_property **proplist, int identifier, const char *value)</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mosquitto_property_add_string(nint* proplist, int identifier, string value);

    /// <summary>int mosquitto_property_add_string_pair(mosquitto_property **proplist, int identifier, const char *name, const char *value)</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mosquitto_property_add_string_pair(nint* proplist, int identifier, string name, string value);

    /// <summary>int mosquitto_property_identifier(const mosquitto_property *property)</summary>
    [LibraryImport(Library)]
    public static partial int mosquitto_property_identifier(nint property);

    /// <summary>const mosquitto_property *mosquitto_property_next(const mosquitto_property *proplist)</summary>
    [LibraryImport(Library)]
    public static partial nint mosquitto_property_next(nint proplist);

    /// <summary>const mosquitto_property *mosquitto_property_read_int32(const mosquitto_property *, int identifier, uint32_t *value, bool skip_first)</summary>
    [LibraryImport(Library)]
    public static partial nint mosquitto_property_read_int32(nint proplist, int identifier, uint* value, [MarshalAs(UnmanagedType.U1)] bool skip_first);

    /// <summary>const mosquitto_property *mosquitto_property_read_binary(const mosquitto_property *, int identifier, void **value, uint16_t *len, bool skip_first)</summary>
    [LibraryImport(Library)]
    public static partial nint mosquitto_property_read_binary(nint proplist, int identifier, byte** value, ushort* len, [MarshalAs(UnmanagedType.U1)] bool skip_first);

    /// <summary>const mosquitto_property *mosquitto_property_read_string(const mosquitto_property *, int identifier, char **value, bool skip_first)</summary>
    [LibraryImport(Library)]
    public static partial nint mosquitto_property_read_string(nint proplist, int identifier, byte** value, [MarshalAs(UnmanagedType.U1)] bool skip_first);

    /// <summary>const mosquitto_property *mosquitto_property_read_string_pair(const mosquitto_property *, int identifier, char **name, char **value, bool skip_first)</summary>
    [LibraryImport(Library)]
    public static partial nint mosquitto_property_read_string_pair(nint proplist, int identifier, byte** name, byte** value, [MarshalAs(UnmanagedType.U1)] bool skip_first);

    /// <summary>void mosquitto_property_free_all(mosquitto_property **properties)</summary>
    [LibraryImport(Library)]
    public static partial void mosquitto_property_free_all(nint* properties);
}
