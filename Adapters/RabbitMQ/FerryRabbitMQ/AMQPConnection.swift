import CRabbitMQ
import Ferry
import Foundation

/// One rabbitmq-c connection with one channel. rabbitmq-c is not thread-safe: an instance is
/// created, used and closed on a single `BlockingExecutor`, never anywhere else.
final class AMQPConnection: BrokerConnection {
    enum ConfirmFrame {
        case ack(tag: UInt64, multiple: Bool)
        case nack(tag: UInt64, multiple: Bool)
        case returned(code: UInt16, text: String)
    }

    private static let channel: amqp_channel_t = 1
    private static let basicAck: amqp_method_number_t = 0x003C_0050
    private static let basicNack: amqp_method_number_t = 0x003C_0078
    private static let basicReturn: amqp_method_number_t = 0x003C_0032
    private static let channelClose: amqp_method_number_t = 0x0014_0028
    private static let connectionClose: amqp_method_number_t = 0x000A_0032

    private let state: amqp_connection_state_t
    let endpoint: AMQPEndpoint
    private(set) var isOpen = false
    /// Messages published on this connection: in confirm mode, the last one's delivery tag.
    private var published: UInt64 = 0

    /// Connects, logs in and opens channel 1 (in confirm mode when `confirms`).
    init(_ endpoint: AMQPEndpoint, confirms: Bool) throws(FerryError) {
        self.endpoint = endpoint
        state = amqp_new_connection()
        let socket = endpoint.tls ? amqp_ssl_socket_new(state) : amqp_tcp_socket_new(state)
        guard let socket else {
            amqp_destroy_connection(state)
            throw FerryError(.connectionFailed, "cannot create a socket for RabbitMQ at \(endpoint.location)")
        }
        if endpoint.tls {
            amqp_ssl_socket_set_verify_peer(socket, endpoint.verifyPeer ? 1 : 0)
            amqp_ssl_socket_set_verify_hostname(socket, endpoint.verifyPeer ? 1 : 0)
            if let ca = endpoint.caCertificate, amqp_ssl_socket_set_cacert(socket, ca) != AMQP_STATUS_OK.rawValue {
                amqp_destroy_connection(state)
                throw FerryError(
                    .invalidEndpoint, "cannot load the CA certificate '\(ca)' for RabbitMQ at \(endpoint.location)",
                    remedy: "check the cacert= path in the endpoint URL")
            }
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        let status = amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(state)
            if [AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED, AMQP_STATUS_SSL_PEER_VERIFY_FAILED].map(\.rawValue).contains(status) {
                // Refused for good: trying again cannot make the certificate right.
                throw FerryError(
                    .connectionFailed,
                    "the TLS certificate of RabbitMQ at \(endpoint.location) was refused: \(String(cString: amqp_error_string2(status)))",
                    remedy:
                        "give the CA that signed the broker's certificate in cacert=, and a host name the certificate names (verify=false only for local tests)"
                )
            }
            throw FerryError(
                .connectionFailed, "cannot reach RabbitMQ at \(endpoint.location): \(String(cString: amqp_error_string2(status)))",
                remedy: "check that the broker is running and the host and port are right", isRetriable: true)
        }
        var rpcTimeout = timeval(tv_sec: 10, tv_usec: 0)
        amqp_set_rpc_timeout(state, &rpcTimeout)
        isOpen = true
        do {
            try check(
                ferry_amqp_login_plain(state, endpoint.vhost, 131_072, Int32(endpoint.heartbeatSeconds), endpoint.user, endpoint.password),
                "logging in as '\(endpoint.user)'")
            amqp_channel_open(state, Self.channel)
            try check(amqp_get_rpc_reply(state), "opening a channel")
            if confirms {
                amqp_confirm_select(state, Self.channel)
                try check(amqp_get_rpc_reply(state), "turning on publisher confirms")
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    func close() {
        guard isOpen else { return }
        isOpen = false
        _ = amqp_channel_close(state, Self.channel, Int32(AMQP_REPLY_SUCCESS))
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        amqp_destroy_connection(state)
    }

    /// Drops the connection without the closing handshake (after the broker closed or vanished).
    func abandon() {
        guard isOpen else { return }
        isOpen = false
        amqp_destroy_connection(state)
    }

    // MARK: Topology

    func declareExchange(_ name: String, type: String) throws(FerryError) {
        let arena = AMQPArena()
        amqp_exchange_declare(state, Self.channel, arena.bytes(name), arena.bytes(type), 0, 1, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "declaring exchange '\(name)' (\(type))")
    }

    /// Declares a durable queue; returns how many messages are ready in it.
    @discardableResult
    func declareQueue(_ name: String, type: String = "classic", arguments: [(String, AMQPArena.Value)] = [], passive: Bool = false)
        throws(FerryError) -> UInt32
    {
        let arena = AMQPArena()
        let all = passive ? [] : [("x-queue-type", AMQPArena.Value.string(type))] + arguments
        let ok = amqp_queue_declare(state, Self.channel, arena.bytes(name), passive ? 1 : 0, 1, 0, 0, arena.table(all))
        try check(amqp_get_rpc_reply(state), "declaring queue '\(name)'")
        return ok?.pointee.message_count ?? 0
    }

    func bind(queue: String, exchange: String, key: String) throws(FerryError) {
        let arena = AMQPArena()
        amqp_queue_bind(state, Self.channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(key), amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "binding queue '\(queue)' to exchange '\(exchange)' with key '\(key)'")
    }

    // MARK: Publishing

    /// Publishes `message`; returns its delivery tag, which its publisher confirm will carry.
    @discardableResult
    func publish(_ message: AMQPMessage, exchange: String, routingKey: String) throws(FerryError) -> UInt64 {
        let arena = AMQPArena()
        var properties = amqp_basic_properties_t()
        var flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG
        properties.delivery_mode = message.deliveryMode
        properties.headers = arena.table(message.headers.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        if let contentType = message.contentType {
            flags |= AMQP_BASIC_CONTENT_TYPE_FLAG
            properties.content_type = arena.bytes(contentType)
        }
        if let messageID = message.messageID {
            flags |= AMQP_BASIC_MESSAGE_ID_FLAG
            properties.message_id = arena.bytes(messageID)
        }
        if let correlationID = message.correlationID {
            flags |= AMQP_BASIC_CORRELATION_ID_FLAG
            properties.correlation_id = arena.bytes(correlationID)
        }
        if let timestamp = message.timestamp {
            flags |= AMQP_BASIC_TIMESTAMP_FLAG
            properties.timestamp = timestamp
        }
        properties._flags = amqp_flags_t(flags)
        let status = amqp_basic_publish(
            state, Self.channel, arena.bytes(exchange), arena.bytes(routingKey), 1, 0, &properties, arena.bytes(message.body))
        guard status == AMQP_STATUS_OK.rawValue else { throw lost(status, "publishing to exchange '\(exchange)'") }
        published += 1
        return published
    }

    /// The next publisher-confirm frame, or nil when none came within `timeout`.
    func nextConfirm(timeout: Duration) throws(FerryError) -> ConfirmFrame? {
        var frame = amqp_frame_t()
        var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        guard status == AMQP_STATUS_OK.rawValue else { throw lost(status, "waiting for publisher confirms") }
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return try nextConfirm(timeout: .zero) }
        let method = frame.payload.method
        switch method.id {
        case Self.basicAck:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return .ack(tag: ack.delivery_tag, multiple: ack.multiple != 0)
        case Self.basicNack:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            return .nack(tag: nack.delivery_tag, multiple: nack.multiple != 0)
        case Self.basicReturn:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            let result = ConfirmFrame.returned(code: returned.reply_code, text: AMQPArena.string(returned.reply_text))
            var message = amqp_message_t()
            let reply = amqp_read_message(state, frame.channel, &message, 0)
            if reply.reply_type == AMQP_RESPONSE_NORMAL { amqp_destroy_message(&message) }
            return result
        default:
            throw closedByBroker(method, "waiting for publisher confirms")
        }
    }

    // MARK: Consuming

    func consume(queue: String, prefetch: Int, consumerTag: String, arguments: [(String, AMQPArena.Value)] = []) throws(FerryError) {
        amqp_basic_qos(state, Self.channel, 0, UInt16(min(prefetch, 65535)), 0)
        try check(amqp_get_rpc_reply(state), "setting the prefetch window")
        let arena = AMQPArena()
        amqp_basic_consume(state, Self.channel, arena.bytes(queue), arena.bytes(consumerTag), 0, 0, 0, arena.table(arguments))
        try check(amqp_get_rpc_reply(state), "consuming from queue '\(queue)'")
    }

    /// True when a message (or frame) is already read and waiting: the next receive won't block.
    var hasBuffered: Bool { amqp_data_in_buffer(state) != 0 || amqp_frames_enqueued(state) != 0 }

    /// The next delivery, or nil when none came within `timeout`.
    func receive(timeout: Duration) throws(FerryError) -> AMQPDelivered? {
        amqp_maybe_release_buffers(state)
        var envelope = amqp_envelope_t()
        var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        let reply = amqp_consume_message(state, &envelope, &wait, 0)
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            defer { amqp_destroy_envelope(&envelope) }
            return AMQPDelivered(
                deliveryTag: envelope.delivery_tag, redelivered: envelope.redelivered != 0,
                message: Self.message(envelope.message.properties, body: envelope.message.body))
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_TIMEOUT.rawValue:
            return nil
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue:
            var frame = amqp_frame_t()
            let status = amqp_simple_wait_frame(state, &frame)
            guard status == AMQP_STATUS_OK.rawValue else { throw lost(status, "consuming") }
            if frame.frame_type == UInt8(AMQP_FRAME_METHOD),
                [Self.channelClose, Self.connectionClose].contains(frame.payload.method.id)
            {
                throw closedByBroker(frame.payload.method, "consuming")
            }
            return nil
        default:
            try check(reply, "consuming")
            return nil
        }
    }

    /// basic.get without acknowledgement: the next message of `queue`, or nil when it is empty.
    /// The message stays unacknowledged until this connection acks it or closes.
    func get(queue: String) throws(FerryError) -> AMQPDelivered? {
        amqp_maybe_release_buffers(state)
        let arena = AMQPArena()
        let reply = amqp_basic_get(state, Self.channel, arena.bytes(queue), 0)
        try check(reply, "reading queue '\(queue)'")
        guard reply.reply.id == AMQP_BASIC_GET_OK_METHOD, let decoded = reply.reply.decoded else { return nil }
        let ok = decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        var message = amqp_message_t()
        try check(amqp_read_message(state, Self.channel, &message, 0), "reading a message of queue '\(queue)'")
        defer { amqp_destroy_message(&message) }
        return AMQPDelivered(
            deliveryTag: ok.delivery_tag, redelivered: ok.redelivered != 0, message: Self.message(message.properties, body: message.body))
    }

    /// Sends a heartbeat frame. rabbitmq-c only keeps heartbeats going inside its own calls:
    /// a connection that makes none for a while (an idle publisher; a consumer whose handler
    /// or relay sink is slow) would be taken for dead by the broker.
    func sendHeartbeat() throws(FerryError) {
        var frame = amqp_frame_t()
        frame.frame_type = UInt8(AMQP_FRAME_HEARTBEAT)
        frame.channel = 0
        let status = amqp_send_frame(state, &frame)
        guard status == AMQP_STATUS_OK.rawValue else { throw lost(status, "sending a heartbeat") }
    }

    func ack(_ tag: UInt64) throws(FerryError) {
        let status = amqp_basic_ack(state, Self.channel, tag, 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw lost(status, "acknowledging delivery \(tag)") }
    }

    // MARK: Errors

    private static func message(_ properties: amqp_basic_properties_t, body: amqp_bytes_t) -> AMQPMessage {
        let flags = Int32(properties._flags)
        func has(_ flag: Int32) -> Bool { flags & flag != 0 }
        let headers = has(AMQP_BASIC_HEADERS_FLAG) ? AMQPArena.strings(properties.headers) : (headers: [:], nesting: 0)
        var message = AMQPMessage(
            contentType: has(AMQP_BASIC_CONTENT_TYPE_FLAG) ? AMQPArena.string(properties.content_type) : nil,
            messageID: has(AMQP_BASIC_MESSAGE_ID_FLAG) ? AMQPArena.string(properties.message_id) : nil,
            timestamp: has(AMQP_BASIC_TIMESTAMP_FLAG) ? properties.timestamp : nil,
            correlationID: has(AMQP_BASIC_CORRELATION_ID_FLAG) ? AMQPArena.string(properties.correlation_id) : nil,
            deliveryMode: has(AMQP_BASIC_DELIVERY_MODE_FLAG) ? properties.delivery_mode : 1,
            headers: headers.headers, body: AMQPArena.data(body))
        message.nesting = headers.nesting
        return message
    }

    private func check(_ reply: amqp_rpc_reply_t, _ doing: String) throws(FerryError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            throw closedByBroker(reply.reply, doing)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw lost(reply.library_error, doing)
        default:
            abandon()
            throw FerryError(.connectionFailed, "RabbitMQ at \(endpoint.location) gave no reply while \(doing)", isRetriable: true)
        }
    }

    private func lost(_ status: Int32, _ doing: String) -> FerryError {
        abandon()
        return FerryError(
            .connectionFailed,
            "lost the connection to RabbitMQ at \(endpoint.location) while \(doing): \(String(cString: amqp_error_string2(status)))",
            remedy: "Ferry reconnects by itself; check the broker if this goes on", isRetriable: true)
    }

    /// The broker closed the channel or connection: 403 access refused, 404 not found, 406
    /// precondition failed (a queue redeclared with other arguments)...
    private func closedByBroker(_ method: amqp_method_t, _ doing: String) -> FerryError {
        var code: UInt16 = 0
        var text = "closed by the broker"
        if method.id == Self.channelClose, let decoded = method.decoded {
            let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            (code, text) = (close.reply_code, AMQPArena.string(close.reply_text))
        } else if method.id == Self.connectionClose, let decoded = method.decoded {
            let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            (code, text) = (close.reply_code, AMQPArena.string(close.reply_text))
        }
        abandon()
        let remedy: String? =
            switch code {
            case 403: "check the user's password and its permissions on vhost '\(endpoint.vhost)'"
            case 404: "declare it first, or check the name in the endpoint URL"
            case 406: "an existing queue or exchange has other settings (type, arguments); use the same ones or another name"
            default: nil
            }
        return FerryError(
            .connectionFailed, "RabbitMQ at \(endpoint.location) refused \(doing): \(text)", remedy: remedy,
            isRetriable: code != 403 && code != 404 && code != 406)
    }
}

extension Reconnecting<AMQPConnection> {
    /// A heartbeat on the current connection, if there is one; a lost one is dropped, to be
    /// opened again by the next call that needs it. Runs on the connection's executor.
    mutating func sendHeartbeat() {
        do throws(FerryError) {
            try current?.sendHeartbeat()
        } catch {
            drop()
        }
    }
}

extension BlockingExecutor {
    /// Sends heartbeats twice per heartbeat interval of `endpoint` while `beat` returns true.
    func keepAlive(_ endpoint: AMQPEndpoint, _ beat: @escaping @Sendable () -> Bool) {
        guard endpoint.heartbeatSeconds > 0 else { return }
        repeating(every: .milliseconds(endpoint.heartbeatSeconds * 500), beat)
    }
}
