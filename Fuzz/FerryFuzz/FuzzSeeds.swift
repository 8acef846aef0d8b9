import Ferry
import FerryConformance
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import Foundation

/// The starting corpus of each target, made from the test fixtures: every envelope the wire
/// tests use, as each broker carries it, plus a plain and a structured message.
enum FuzzSeeds {
    static func inputs(for target: FuzzTarget) -> [Data] {
        let events = WireFixtures.all
        switch target {
        case .kafka:
            return events.compactMap { try? KafkaWireFormat.encode($0) }.map(kafka)
                + [kafka(KafkaRecord(value: Data("plain".utf8), timestampMillis: 1_764_000_000_000))]
        case .amqp:
            return events.compactMap { try? AMQPWireFormat.encode($0) }.map(amqp)
        case .amqpTable:
            return [table([("cloudEvents:id", "S", Data("e-1".utf8)), ("n", "l", Data(count: 8))]), nestedTable()]
        case .redis:
            return events.compactMap { try? RedisWireFormat.encode($0) }.map { redis($0, id: "1764000000000-0") }
        case .structured:
            return events.compactMap { try? StructuredFormat.encode($0) }
        case .json:
            return [WireFixtures.jsonEvent().data, Data(#"{"a":[1,-2.5e3,true,null,"\u00e9\ud83d\ude00"]}"#.utf8)]
        case .rfc3339:
            return ["2026-11-28T16:34:05Z", "1985-04-12T23:20:50.52+05:30", "9999-12-31T23:59:59.999999-00:00"].map { Data($0.utf8) }
        case .endpoint:
            return [
                "kafka://a:9092,b:9093/orders?max-in-flight=10&rdkafka.sasl.password=s3cret",
                "amqp://user:p%40ss@h:5672/%2F?exchange=x&queue=q&heartbeat=10s",
                "redis://:pw@[::1]:6379/stream?claim-idle=1s&dlq=dead", "memory://t?partitions=3",
            ].map { Data($0.utf8) }
        case .relayConfig:
            return [
                Data(
                    """
                    idempotency: sqlite:///tmp/x.db
                    routes:
                      - name: r
                        source: kafka://h:9092/t
                        sinks: ['amqp://u:${SECRET}@h/%2F?queue=q', redis://h/s]
                        retry: {max-attempts: 3, initial-delay: 200ms}
                        limits: {max-bytes: 1024}
                    """.utf8)
            ]
        case .schema:
            var out = FuzzOutput()
            out.string(#"{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}"#)
            out.string(#"{"type":"object","properties":{"id":{"type":"string"},"n":{"type":"integer"}}}"#)
            out.string(#"[{"op":"add","path":"n","value":1},{"op":"rename","from":"id","to":"key"}]"#)
            out.rest(Data(#"{"id":"o-1"}"#.utf8))
            return [Data(out.bytes)]
        }
    }

    private static func kafka(_ record: KafkaRecord) -> Data {
        var out = FuzzOutput()
        out.byte((record.key == nil ? 0 : 1) | (record.timestampMillis == nil ? 0 : 2))
        if let key = record.key { out.chunk(key) }
        if let timestamp = record.timestampMillis { out.int64(timestamp) }
        out.byte(UInt8(min(record.headers.count, 255)))
        for header in record.headers.prefix(255) {
            out.string(header.name)
            out.chunk(header.value)
        }
        out.rest(record.value)
        return Data(out.bytes)
    }

    private static func amqp(_ message: AMQPMessage) -> Data {
        var out = FuzzOutput()
        out.byte(
            (message.contentType == nil ? 0 : 1) | (message.messageID == nil ? 0 : 2) | (message.timestamp == nil ? 0 : 4)
                | (message.correlationID == nil ? 0 : 8))
        message.contentType.map { out.string($0) }
        message.messageID.map { out.string($0) }
        message.timestamp.map { out.int64(Int64(bitPattern: $0)) }
        message.correlationID.map { out.string($0) }
        out.byte(UInt8(min(message.headers.count, 255)))
        for (name, value) in message.headers.sorted(by: { $0.key < $1.key }).prefix(255) {
            out.string(name)
            out.string(value)
        }
        out.rest(message.body)
        return Data(out.bytes)
    }

    private static func redis(_ entry: RedisEntry, id: String) -> Data {
        var out = FuzzOutput()
        out.string(id)
        out.byte(UInt8(min(entry.fields.count, 255)))
        for field in entry.fields.prefix(255) {
            out.string(field.name)
            out.chunk(field.value)
        }
        return Data(out.bytes)
    }

    /// An AMQP field table: a 4-byte length, then entries of a short-string name, a kind byte
    /// and the value (long strings and nested tables carry a 4-byte length).
    private static func table(_ entries: [(name: String, kind: Character, value: Data)]) -> Data {
        var body = Data()
        for entry in entries {
            body.append(UInt8(entry.name.utf8.count))
            body.append(contentsOf: entry.name.utf8)
            body.append(entry.kind.asciiValue!)
            if entry.kind == "S" || entry.kind == "F" { body.append(contentsOf: length(entry.value.count)) }
            body.append(entry.value)
        }
        return Data(length(body.count)) + body
    }

    /// x-death as RabbitMQ writes it: an array of tables.
    private static func nestedTable() -> Data {
        let inner = table([("queue", "S", Data("q".utf8)), ("count", "l", Data(count: 8))])
        var array = Data([UInt8(ascii: "F")]) + inner
        array = Data(length(array.count)) + array
        var body = Data([7]) + Data("x-death".utf8) + Data([UInt8(ascii: "A")]) + array
        body = Data(length(body.count)) + body
        return body
    }

    private static func length(_ count: Int) -> [UInt8] {
        [UInt8(count >> 24 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
    }
}
