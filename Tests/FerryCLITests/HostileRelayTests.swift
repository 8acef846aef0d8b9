import Ferry
import FerryConformance
import Foundation
import Testing

@testable import FerryKafka
@testable import FerryRabbitMQ
@testable import FerryRedis

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Every class of hostile message at once, written by each broker's C client (not Ferry's
/// encoder, which would refuse them) among good events, through `ferry relay` as a separate
/// process: the relay stays up, and every message is either copied to the sink or
/// dead-lettered. Counted on the brokers.
@Suite(.enabled(if: brokerURLs.count == 3, "needs the three local brokers (scripts/test starts them)"))
struct HostileRelayTests {
    let env = ProcessInfo.processInfo.environment

    /// A message as a producer that is not Ferry wrote it: headers (attributes in the broker's
    /// binding, or anything), a content type, a body.
    struct Hostile: Sendable {
        var name: String
        var headers: [(String, Data)] = []
        var contentType: String?
        var body: Data
    }

    /// The classes of the issue: malformed envelopes, invalid UTF-8, extreme numbers, forged
    /// control headers, oversize (over the route's limits), deep nesting.
    static func hostile(prefix: String) -> [Hostile] {
        func text(_ value: String) -> Data { Data(value.utf8) }
        let envelope = [("\(prefix)specversion", text("1.0")), ("\(prefix)type", text("t")), ("\(prefix)source", text("/hostile"))]
        return [
            Hostile(name: "no id", headers: envelope, body: text("{}")),
            Hostile(
                name: "bad time", headers: envelope + [("\(prefix)id", text("h2")), ("\(prefix)time", text("99999-99-99"))], body: Data()),
            Hostile(name: "bad specversion", headers: [("\(prefix)specversion", text("0.1")), ("\(prefix)id", text("h3"))], body: Data()),
            Hostile(name: "invalid UTF-8 id", headers: envelope + [("\(prefix)id", Data([0xFF, 0xFE, 0x41]))], body: Data([0xC3, 0x28])),
            Hostile(name: "invalid UTF-8 JSON", contentType: "application/json", body: Data([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x7D])),
            Hostile(
                name: "structured, nested 100,000 deep", contentType: StructuredFormat.contentType,
                body: text(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))),
            Hostile(name: "structured, truncated", contentType: StructuredFormat.contentType, body: text(#"{"specversion":"1.0","id":"#)),
            Hostile(
                name: "forged control headers",
                headers: envelope + [
                    ("\(prefix)id", text("h8")), ("ferry-attempt", text("9223372036854775807")),
                    ("ferry-retry-due", text("99999999999999999999")), ("ferry-hops", text("-99999")),
                    ("ferry-origin", text("elsewhere@0")), ("ferry-dlq-reason", text("decode")),
                ], body: text("{}")),
            Hostile(name: "300 headers", headers: (0..<300).map { ("x-\($0)", text("\($0)")) }, body: text("many")),
            Hostile(name: "100 KiB body", contentType: "text/plain", body: Data(repeating: 0x61, count: 100 << 10)),
        ]
    }

    @Test(arguments: ["kafka", "amqp", "redis"])
    func theRelayCopiesOrDeadLettersEveryHostileMessageAndStaysUp(_ broker: String) async throws {
        let name = "ferry-hostile-\(broker)-\(UUID().uuidString.prefix(8).lowercased())"
        let amqpURL = env["FERRY_AMQP_URL"]!
        let (transport, source, sinkTransport, sink): (any Transport, Endpoint, any Transport, Endpoint) =
            switch broker {
            case "kafka":
                (
                    KafkaTransport(), try Endpoint("\(env["FERRY_KAFKA_URL"]!)/\(name)"), RedisTransport(),
                    try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)")
                )
            case "amqp":
                (
                    RabbitMQTransport(), try Endpoint("\(amqpURL)?queue=\(name)"), RedisTransport(),
                    try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)")
                )
            default:
                (
                    RedisTransport(), try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)"), RabbitMQTransport(),
                    try Endpoint("\(amqpURL)?queue=\(name)-copy")
                )
            }
        try await transport.provision(source, partitions: 1)
        try await sinkTransport.provision(sink, partitions: 1)
        let good = (0..<20).map { Event(source: "/good", type: "t", data: Data("\($0)".utf8)) }
        let publisher = try await transport.makePublisher(for: source)
        _ = try await publisher.publish(Array(good[..<10]))
        let hostile = Self.hostile(prefix: broker == "amqp" ? "cloudEvents:" : "ce_")
        var extra = 0
        switch broker {
        case "kafka": extra = try await writeKafka(hostile, to: source)
        case "amqp": extra = try await writeAMQP(hostile, to: source, queue: name)
        default: extra = try await writeRedis(hostile, to: source)
        }
        _ = try await publisher.publish(Array(good[10...]))
        await publisher.close()
        let total = good.count + hostile.count + extra

        let config = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).yaml").path
        let sinkURL = sink.description.replacingOccurrences(of: ":***@", with: ":guest@")
        let sourceURL = source.description.replacingOccurrences(of: ":***@", with: ":guest@")
        try """
        routes:
          - name: hostile
            source: '\(sourceURL)'
            group: \(name)
            sinks: ['\(sinkURL)']
            limits: {max-bytes: 65536}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let relay = try RunningFerry(["relay", "--config", config, "--metrics-port", "0"])
        let metricsPort = try await relay.metricsPort()

        let copied = Locked(Set<String>())
        let reader = try await sinkTransport.subscribe(to: sink, options: SubscribeOptions(group: "audit"))
        let reading = Task {
            for try await delivery in reader {
                copied.withLock { _ = $0.insert(delivery.event.id) }
                try await delivery.ack()
            }
        }
        defer { reading.cancel() }
        let deadLetters = try transport.deadLetterEndpoint(for: source)
        let lettered = Locked<[String]>([])
        do {
            try await eventually(.seconds(120), "every message copied or dead-lettered") {
                var reasons: [String] = []
                try await (transport as! any Browsable).browse(
                    deadLetters, group: "none", limits: MessageLimits(maxBytes: 1 << 30, maxHeaders: 1 << 20)
                ) { browsed in
                    let headers = (try? browsed.envelope.get().event.headers) ?? [:]
                    reasons.append(headers[DeadLetterRecord.Header.reason] ?? "?")
                    return true
                }
                lettered.withLock { $0 = reasons }
                return copied.withLock { $0.count } + reasons.count == total
            }
        } catch {
            Issue.record(
                "copied \(copied.withLock { $0.count }), dead-lettered \(lettered.withLock { $0 }), of \(total); relay: \(relay.stderr.suffix(3000))"
            )
            throw error
        }
        #expect(copied.withLock { $0 }.isSuperset(of: good.map(\.id)), "every good event was copied")
        #expect(lettered.withLock { $0 }.allSatisfy { $0 == "decode" }, "\(lettered.withLock { $0 })")
        let health = try await HealthCheck.fetch(port: metricsPort)
        #expect(health.route("hostile")["status"] as? String == "ok", "the relay is up and well: \(health.report)")
        #expect(await relay.stop(SIGTERM) == 0, "\(relay.stderr.suffix(2000))")
        reading.cancel()
        await reader.close()
        await transport.shutdown()
        await sinkTransport.shutdown()
    }

    /// With librdkafka's producer; plus a record timestamp near 2^63 ms. Returns the extras.
    func writeKafka(_ hostile: [Hostile], to source: Endpoint) async throws -> Int {
        let kafka = try KafkaEndpoint(source)
        let producer = try RDKafkaProducer(
            settings: kafka.producerSettings, context: RDKafkaContext(logger: .init(label: "test"), brokers: kafka.brokers))
        var records = hostile.map { message in
            var headers = message.headers.map { WireField(name: $0.0, value: $0.1) }
            if let type = message.contentType { headers.append(WireField(name: "content-type", value: Data(type.utf8))) }
            return KafkaRecord(value: message.body, headers: headers)
        }
        records.append(KafkaRecord(value: Data("far future".utf8), timestampMillis: Int64.max))
        for result in await producer.produce(records.map { ("", $0) }, topic: kafka.topic) { _ = try result.get() }
        await producer.close()
        return 1
    }

    /// With rabbitmq-c; plus an AMQP timestamp of 2^64-1 and, through RabbitMQ's own management
    /// API, a headers table nested 50 deep. Returns the extras.
    func writeAMQP(_ hostile: [Hostile], to source: Endpoint, queue: String) async throws -> Int {
        let amqp = try AMQPEndpoint(source)
        try await BlockingExecutor(label: "test").run { () throws in
            let connection = try AMQPConnection(amqp, confirms: false)
            defer { connection.close() }
            for message in hostile {
                let headers = Dictionary(message.headers.map { ($0.0, String(decoding: $0.1, as: UTF8.self)) }, uniquingKeysWith: { $1 })
                _ = try connection.publish(
                    AMQPMessage(contentType: message.contentType, headers: headers, body: message.body), exchange: "", routingKey: queue)
            }
            _ = try connection.publish(AMQPMessage(timestamp: UInt64.max, body: Data("far future".utf8)), exchange: "", routingKey: queue)
        }
        let deep = String(repeating: #"{"n":"#, count: 50) + #""leaf""# + String(repeating: "}", count: 50)
        var request = URLRequest(
            url: URL(string: "http://127.0.0.1:\(env["FERRY_AMQP_MANAGEMENT_PORT"] ?? "15672")/api/exchanges/%2F/amq.default/publish")!)
        request.httpMethod = "POST"
        request.httpBody = Data(
            (#"{"properties":{"headers":{"deep":"# + deep + #"}},"routing_key":"\#(queue)","payload":"deep","payload_encoding":"string"}"#)
                .utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Basic " + Data("guest:guest".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        let (reply, _) = try await URLSession.shared.data(for: request)
        #expect(String(decoding: reply, as: UTF8.self).contains(#""routed":true"#))
        return 2
    }

    /// With hiredis (plain XADD, bytes as they are). Returns the extras.
    func writeRedis(_ hostile: [Hostile], to source: Endpoint) async throws -> Int {
        let redis = try RedisEndpoint(source)
        try await BlockingExecutor(label: "test").run { () throws in
            let connection = try RedisConnection(redis)
            let commands = hostile.map { message in
                var fields = message.headers.map { WireField(name: $0.0, value: $0.1) }
                if let type = message.contentType { fields.append(WireField(name: "content-type", value: Data(type.utf8))) }
                fields.append(WireField(name: "data", value: message.body))
                return RedisCommand(["XADD", redis.stream, "*"], RedisEntry(fields: fields))
            }
            for reply in try connection.pipeline(commands) {
                if case .error(let message) = reply { throw FerryError(.publishFailed, message) }
            }
        }
        return 0
    }
}
