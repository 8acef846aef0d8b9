import CRabbitMQ
import Ferry
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import FerryRelay
import Foundation

/// One decoder under fuzzing: what Ferry reads from a broker or a file, fed from raw bytes.
/// A target only has to return; a trap, a sanitizer report or a broken round trip is a finding.
enum FuzzTarget: String, CaseIterable {
    case kafka, amqp
    case amqpTable = "amqp-table"
    case redis, structured, json, rfc3339, endpoint
    case relayConfig = "relay-config"
    case schema

    func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        switch self {
        case .kafka: Self.kafka(&input)
        case .amqp: Self.amqp(&input)
        case .amqpTable: Self.amqpTable(bytes)
        case .redis: Self.redis(&input)
        case .structured: _ = try? StructuredFormat.decode(Data(bytes), where: "fuzz")
        case .json: Self.json(Data(bytes))
        case .rfc3339: Self.rfc3339(String(decoding: bytes, as: UTF8.self))
        case .endpoint: Self.endpoint(String(decoding: bytes, as: UTF8.self))
        case .relayConfig: Self.relayConfig(String(decoding: bytes, as: UTF8.self))
        case .schema: Self.schema(&input)
        }
    }

    /// A record as librdkafka hands it over: flags, key, timestamp, headers, value.
    private static func kafka(_ input: inout FuzzInput) {
        let flags = input.byte()
        let key = flags & 1 != 0 ? input.chunk() : nil
        let timestamp = flags & 2 != 0 ? input.int64() : nil
        let headers = (0..<Int(input.byte())).map { _ in WireField(name: input.string(), value: input.chunk()) }
        let record = KafkaRecord(key: key, value: input.rest(), headers: headers, timestampMillis: timestamp)
        let decoded = KafkaWireFormat.decode(record, position: Position(destination: "t", partition: 0, offset: "7"), source: "kafka://h/t")
        controlHeaders(Dictionary(headers.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) }, uniquingKeysWith: { $1 }))
        reencode(decoded)
    }

    /// A delivery's properties and headers (as strings), then its body.
    private static func amqp(_ input: inout FuzzInput) {
        let flags = input.byte()
        var message = AMQPMessage(body: Data())
        if flags & 1 != 0 { message.contentType = input.string() }
        if flags & 2 != 0 { message.messageID = input.string() }
        if flags & 4 != 0 { message.timestamp = UInt64(bitPattern: input.int64()) }
        if flags & 8 != 0 { message.correlationID = input.string() }
        for _ in 0..<Int(input.byte()) { message.headers[input.string()] = input.string() }
        message.body = input.rest()
        controlHeaders(message.headers)
        reencode(AMQPWireFormat.decode(message, position: Position(destination: "q", offset: "1"), source: "amqp://h/q"))
    }

    /// A headers table in AMQP's wire encoding, decoded by rabbitmq-c as a delivery's is, then
    /// read by Ferry.
    private static func amqpTable(_ bytes: [UInt8]) {
        var pool = amqp_pool_t()
        init_amqp_pool(&pool, 4096)
        defer { empty_amqp_pool(&pool) }
        var table = amqp_table_t()
        var offset = 0
        var copy = bytes
        let status = copy.withUnsafeMutableBytes { raw in
            amqp_decode_table(amqp_bytes_t(len: raw.count, bytes: raw.baseAddress), &pool, &table, &offset)
        }
        guard status == AMQP_STATUS_OK.rawValue else { return }
        let (headers, nesting) = AMQPArena.strings(table)
        var message = AMQPMessage(headers: headers, body: Data("{}".utf8))
        message.nesting = nesting
        reencode(AMQPWireFormat.decode(message, position: Position(destination: "q", offset: "1"), source: "amqp://h/q"))
    }

    /// A stream entry: its id, then its fields.
    private static func redis(_ input: inout FuzzInput) {
        let id = input.string()
        let fields = (0..<Int(input.byte())).map { _ in WireField(name: input.string(), value: input.chunk()) }
        let entry = RedisEntry(id: id, fields: fields)
        reencode(RedisWireFormat.decode(entry, position: Position(destination: "s", offset: id), source: "redis://h/s"))
    }

    /// Parses; what parses is written back and must parse to the same value.
    private static func json(_ data: Data) {
        guard let value = try? JSONValue(parsing: data) else { return }
        guard let again = try? JSONValue(parsing: value.data), again == value else {
            fatalError("JSON round trip changed \(String(decoding: data, as: UTF8.self))")
        }
    }

    /// What parses is formatted and must parse to the same instant.
    private static func rfc3339(_ text: String) {
        guard let micros = RFC3339.parse(text) else { return }
        let formatted = RFC3339.format(micros: micros)
        guard RFC3339.parse(formatted) == micros else { fatalError("RFC 3339 round trip changed '\(text)' → '\(formatted)'") }
    }

    /// An endpoint URL, as every adapter reads it; what it prints never holds its password.
    private static func endpoint(_ text: String) {
        _ = Endpoint.redacted(text)
        guard let endpoint = try? Endpoint(text) else { return }
        if let password = endpoint.password, password.count >= 8, endpoint.description.contains(password) {
            var bare = endpoint
            bare.password = nil
            if !bare.description.contains(password) { fatalError("the description of an endpoint shows its password") }
        }
        _ = try? KafkaEndpoint(endpoint)
        _ = try? AMQPEndpoint(endpoint)
        _ = try? RedisEndpoint(endpoint)
    }

    private static func relayConfig(_ text: String) {
        guard !text.contains("${file:") else { return }  // would read any file of this machine
        _ = try? RelayConfiguration(yaml: text, file: "fuzz.yaml", environment: ["SECRET": "p/w?%"])
    }

    /// Two versions of a schema and the upcast between them, then a document to prepare.
    private static func schema(_ input: inout FuzzInput) {
        func json(_ data: Data) -> Any? { try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) }
        let first = json(input.chunk())
        let second = json(input.chunk())
        let steps = json(input.chunk()) as? [Any] ?? []
        let document = input.rest()
        var catalog = SchemaCatalog()
        do {
            try catalog.register(type: "t", version: 1, schema: try JSONSchema(json: first ?? [:], place: "v1"))
            try catalog.register(
                type: "t", version: 2, schema: try JSONSchema(json: second ?? [:], place: "v2"),
                upcast: try steps.map { (step) throws(FerryError) in try UpcastStep(json: step, place: "step") })
        } catch {
            return
        }
        let event = Event(id: "1", source: "/f", type: "t", time: nil, datacontenttype: "application/json", dataversion: 1, data: document)
        _ = try? SchemaRegistry(catalog: catalog).prepare(event, to: 2)
        // The registry's fast path must agree with the full check, or it would let bad data by.
        if let value = try? JSONValue(parsing: document) {
            for version in 1...2 {
                guard let schema = catalog.schema(of: "t", version: version) else { continue }
                precondition(schema.accepts(value) == schema.violations(of: value).isEmpty, "accepts and violations disagree")
            }
        }
    }

    /// The control headers a consumer or `ferry dlq` reads off a message.
    private static func controlHeaders(_ headers: [String: String]) {
        _ = RetryHeaders.read(headers)
        _ = DeadLetterRecord(headers: headers)
    }

    /// What decoded is written again, as a relay would: each binding and structured mode.
    private static func reencode(_ decoded: Result<DecodedEnvelope, FerryError>) {
        guard case .success(let envelope) = decoded else { return }
        _ = try? KafkaWireFormat.encode(envelope.event)
        _ = try? AMQPWireFormat.encode(envelope.event)
        _ = try? RedisWireFormat.encode(envelope.event)
        _ = try? StructuredFormat.encode(envelope.event)
    }
}
