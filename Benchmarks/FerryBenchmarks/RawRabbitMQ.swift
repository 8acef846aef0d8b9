import CRabbitMQ
import FerryRabbitMQ
import Foundation

/// rabbitmq-c used directly, in the smallest loops that do the benchmark's work, with the
/// settings of Ferry's adapter: persistent messages, mandatory flag, publisher confirms with a
/// window as large as the batch, basic.qos = prefetch and one basic.ack per message.
final class RawRabbitMQ: @unchecked Sendable {
    // @unchecked: one connection, used by one thread at a time (a BlockingExecutor).
    private let state: amqp_connection_state_t
    private var nextTag: UInt64 = 1
    private static let channel: amqp_channel_t = 1
    private static let basicAck: amqp_method_number_t = 0x003C_0050

    init(host: String, port: Int, user: String, password: String, confirms: Bool) throws {
        state = amqp_new_connection()
        let socket = amqp_tcp_socket_new(state)
        guard amqp_socket_open(socket, host, Int32(port)) == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(state)
            throw BenchmarkFailure("raw RabbitMQ: cannot reach \(host):\(port)")
        }
        try Self.check(ferry_amqp_login_plain(state, "/", 131_072, 0, user, password), "login")
        amqp_channel_open(state, Self.channel)
        try Self.check(amqp_get_rpc_reply(state), "channel.open")
        if confirms {
            amqp_confirm_select(state, Self.channel)
            try Self.check(amqp_get_rpc_reply(state), "confirm.select")
        }
    }

    deinit {
        amqp_channel_close(state, Self.channel, Int32(AMQP_REPLY_SUCCESS))
        amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        amqp_destroy_connection(state)
    }

    /// Declares a durable classic queue (as Ferry does, so either can use it afterwards).
    func declare(queue: String) throws {
        _ = withBytes(queue) { name in
            withTable([("x-queue-type", Data("classic".utf8))]) { arguments in
                amqp_queue_declare(state, Self.channel, name, 0, 1, 0, 0, arguments)
            }
        }
        try Self.check(amqp_get_rpc_reply(state), "queue.declare \(queue)")
    }

    /// Deletes what a benchmark created, so runs do not pile up in the local broker.
    func delete(queues: [String]) throws {
        for queue in queues {
            _ = withBytes(queue) { name in amqp_queue_delete(state, Self.channel, name, 0, 0) }
            try Self.check(amqp_get_rpc_reply(state), "queue.delete \(queue)")
        }
    }

    /// Ready messages in `queue` (passive declare).
    func depth(of queue: String) throws -> Int {
        let ok = withBytes(queue) { name in amqp_queue_declare(state, Self.channel, name, 1, 1, 0, 0, amqp_empty_table) }
        try Self.check(amqp_get_rpc_reply(state), "queue.declare passive \(queue)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    /// Publishes `workload.events` copies of `message` (properties and headers as Ferry writes them).
    func publish(queue: String, _ message: AMQPMessage, _ workload: Workload) throws -> Double {
        try workload.publishRate { count in try publishConfirmed(queue: queue, Array(repeating: message, count: count)) }
    }

    func latency(queue: String, _ message: AMQPMessage, _ workload: Workload) throws -> [Double] {
        try workload.latencies { try publishConfirmed(queue: queue, [message]) }
    }

    /// Publishes every message to `queue` through the default exchange, then waits until the
    /// broker confirmed the last one.
    func publishConfirmed(queue: String, _ messages: [AMQPMessage]) throws {
        for message in messages {
            let status = withBytes("") { exchange in
                withBytes(queue) { key in
                    withBytes(message.contentType ?? "") { contentType in
                        withBytes(message.messageID ?? "") { messageID in
                            withTable(message.headers.map { ($0.key, Data($0.value.utf8)) }) { headers in
                                var properties = amqp_basic_properties_t()
                                properties._flags = amqp_flags_t(
                                    AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG
                                        | AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG)
                                properties.delivery_mode = 2
                                properties.headers = headers
                                properties.content_type = contentType
                                properties.message_id = messageID
                                properties.timestamp = message.timestamp ?? 0
                                return message.body.withUnsafeBytes { body in
                                    amqp_basic_publish(
                                        state, Self.channel, exchange, key, 1, 0, &properties,
                                        amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
                                }
                            }
                        }
                    }
                }
            }
            guard status == AMQP_STATUS_OK.rawValue else { throw BenchmarkFailure("raw RabbitMQ publish: status \(status)") }
            nextTag += 1
        }
        let last = nextTag - 1
        var confirmed: UInt64 = 0
        while confirmed < last {
            var frame = amqp_frame_t()
            guard amqp_simple_wait_frame(state, &frame) == AMQP_STATUS_OK.rawValue else {
                throw BenchmarkFailure("raw RabbitMQ: lost the connection")
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { continue }
            if frame.payload.method.id == Self.basicAck {
                let ack = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                confirmed = max(confirmed, ack.delivery_tag)  // a multiple ack covers the tags below
            } else if frame.payload.method.id != 0x003C_0032 {  // basic.return comes before its ack
                throw BenchmarkFailure("raw RabbitMQ: unexpected method \(frame.payload.method.id) while waiting for confirms")
            }
        }
    }

    /// Consumes `count` messages with basic.qos = `prefetch`, copying each body and header out
    /// (what any application needs), acking each; timed from the first.
    func consume(queue: String, count: Int, prefetch: Int) throws -> Double {
        amqp_basic_qos(state, Self.channel, 0, UInt16(prefetch), 0)
        try Self.check(amqp_get_rpc_reply(state), "basic.qos")
        withBytes(queue) { name in _ = amqp_basic_consume(state, Self.channel, name, amqp_empty_bytes, 0, 0, 0, amqp_empty_table) }
        try Self.check(amqp_get_rpc_reply(state), "basic.consume \(queue)")
        var started: ContinuousClock.Instant?
        for _ in 0..<count {
            amqp_maybe_release_buffers(state)
            var envelope = amqp_envelope_t()
            try Self.check(amqp_consume_message(state, &envelope, nil, 0), "consume")
            if started == nil { started = .now }
            withExtendedLifetime(Self.copy(envelope.message)) {}
            amqp_basic_ack(state, Self.channel, envelope.delivery_tag, 0)
            amqp_destroy_envelope(&envelope)
        }
        return Rate.perSecond(count, ContinuousClock.now - started!)
    }

    private static func copy(_ message: amqp_message_t) -> (body: Data, headers: [(String, Data)]) {
        func data(_ bytes: amqp_bytes_t) -> Data { bytes.bytes.map { Data(bytes: $0, count: bytes.len) } ?? Data() }
        let table = message.properties.headers
        let headers = (0..<Int(table.num_entries)).map { index in
            let entry = table.entries[index]
            return (String(decoding: data(entry.key), as: UTF8.self), data(entry.value.value.bytes))
        }
        return (data(message.body), headers)
    }

    private func withBytes<T>(_ text: String, _ body: (amqp_bytes_t) throws -> T) rethrows -> T {
        var copy = Array(text.utf8)
        return try copy.withUnsafeMutableBytes { try body(amqp_bytes_t(len: $0.count, bytes: $0.baseAddress)) }
    }

    /// An AMQP field table of byte-string values, valid during `body`.
    private func withTable<T>(_ fields: [(String, Data)], _ body: (amqp_table_t) throws -> T) rethrows -> T {
        guard !fields.isEmpty else { return try body(amqp_empty_table) }
        var storage: [UnsafeMutableRawPointer] = []
        defer { storage.forEach { free($0) } }
        func bytes(_ data: Data) -> amqp_bytes_t {
            let pointer = malloc(max(1, data.count))!
            data.withUnsafeBytes { if let base = $0.baseAddress { memcpy(pointer, base, data.count) } }
            storage.append(pointer)
            return amqp_bytes_t(len: data.count, bytes: pointer)
        }
        var entries = fields.map { name, value in
            var entry = amqp_table_entry_t()
            entry.key = bytes(Data(name.utf8))
            entry.value.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            entry.value.value.bytes = bytes(value)
            return entry
        }
        return try entries.withUnsafeMutableBufferPointer { try body(amqp_table_t(num_entries: Int32($0.count), entries: $0.baseAddress)) }
    }

    private static func check(_ reply: amqp_rpc_reply_t, _ doing: String) throws {
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
            throw BenchmarkFailure(
                "raw RabbitMQ \(doing) failed (reply type \(reply.reply_type.rawValue), library error \(reply.library_error))")
        }
    }
}
