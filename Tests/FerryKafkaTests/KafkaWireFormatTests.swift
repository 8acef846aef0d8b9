import Ferry
import FerryConformance
import FerryKafka
import Foundation
import Testing

@Suite struct KafkaWireFormatTests {
    let position = Position(destination: "orders", partition: 1, offset: "17")

    @Test(arguments: WireFixtures.all)
    func binaryModeRoundTripIsLossless(_ event: Event) throws {
        let record = try KafkaWireFormat.encode(event)
        let decoded = try KafkaWireFormat.decode(record, position: position, source: "kafka://h/orders").get()
        #expect(decoded.mode == .binary)
        #expect(decoded.event == event)
    }

    @Test func followsTheCloudEventsKafkaBinding() throws {
        let event = WireFixtures.fullEvent()
        let record = try KafkaWireFormat.encode(event)
        let headers = Dictionary(uniqueKeysWithValues: record.headers.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) })
        #expect(record.key == Data("customer-9".utf8))
        #expect(record.value == event.data)
        #expect(headers["content-type"] == "application/octet-stream")
        #expect(headers["ce_specversion"] == "1.0")
        #expect(headers["ce_id"] == "evt-full-1")
        #expect(headers["ce_time"] == "2025-11-24T16:00:00.123456Z")
        #expect(headers["ce_dataversion"] == "2")
        #expect(headers["ce_region"] == "eu")
        #expect(headers["ce_idempotencykey"] == "idem-42")
        #expect(headers["x-request-id"] == "r-1")
        #expect(headers["ce_partitionkey"] == nil && headers["ce_datacontenttype"] == nil)
    }

    @Test func everyEventIsStampedWithAnIdempotencyKey() throws {
        let event = WireFixtures.minimalEvent()
        let headers = try KafkaWireFormat.encode(event).headers
        #expect(headers.contains { $0.name == "ce_idempotencykey" && $0.value == Data(event.id.utf8) })
    }

    @Test func reservedHeaderNamesAreRefused() {
        var event = WireFixtures.minimalEvent()
        event.headers["content-type"] = "x"
        #expect(throws: FerryError.self) { try KafkaWireFormat.encode(event) }
        event.headers = ["ce_id": "spoof"]
        let error = #expect(throws: FerryError.self) { try KafkaWireFormat.encode(event) }
        #expect(error?.code == .invalidEvent)
        #expect(error?.message.contains("ce_id") == true)
    }

    @Test func plainRecordsAreWrappedWithAStableID() throws {
        let record = KafkaWireFormat.record(RawMessage(body: Data("42".utf8), headers: ["origin": "legacy"], key: "k"))
        let first = try KafkaWireFormat.decode(record, position: position, source: "kafka://h/orders").get()
        let again = try KafkaWireFormat.decode(record, position: position, source: "kafka://h/orders").get()
        #expect(first.mode == .plain)
        #expect(first.event.id == "kafka:orders/1@17")
        #expect(first.event.id == again.event.id)
        #expect(first.event.partitionkey == "k")
        #expect(first.event.headers == ["origin": "legacy"])
    }

    @Test func structuredRecordsAreRead() throws {
        let event = WireFixtures.jsonEvent()
        let record = KafkaWireFormat.record(RawMessage(body: try StructuredFormat.encode(event), contentType: StructuredFormat.contentType))
        let decoded = try KafkaWireFormat.decode(record, position: position, source: "kafka://h/orders").get()
        #expect(decoded.mode == .structured)
        #expect(decoded.event == event)
    }

    /// Records other producers wrote: a header given twice counts once, the last one (Kafka's
    /// rule), the record key wins over a `ce_partitionkey` header, and `content-type` is the
    /// content type, never a header.
    @Test func repeatedHeadersAndTheKeyReadAsTheBindingSays() throws {
        let headers = [
            ("ce_specversion", "1.0"), ("ce_id", "first"), ("ce_id", "e-2"), ("ce_source", "/s"), ("ce_type", "t.v1"),
            ("content-type", "text/plain"), ("content-type", "application/json"), ("ce_partitionkey", "from-header"),
            ("x-trace", "a"), ("x-trace", "b"),
        ].map { WireField(name: $0.0, text: $0.1) }
        let record = KafkaRecord(key: Data("from-key".utf8), value: Data("{}".utf8), headers: headers)
        let event = try KafkaWireFormat.decode(record, position: position, source: "kafka://h/orders").get().event
        #expect(event.id == "e-2")
        #expect(event.partitionkey == "from-key")
        #expect(event.datacontenttype == "application/json")
        #expect(event.headers == ["x-trace": "b"])
    }

    /// A dead letter whose envelope is broken is still read (wrapped as a plain message), with
    /// its headers as they were and the record key as `ce_partitionkey`.
    @Test func aBrokenDeadLetterIsWrappedWithItsHeaders() throws {
        let headers = [("ce_specversion", "1.0"), ("ce_source", "/s"), ("ferry-dlq-reason", "decode"), ("content-type", "text/plain")]
            .map { WireField(name: $0.0, text: $0.1) }
        let record = KafkaRecord(key: Data("k".utf8), value: Data("x".utf8), headers: headers)
        let decoded = try KafkaWireFormat.decode(record, position: position, source: "kafka://h/orders").get()
        #expect(decoded.mode == .plain)
        #expect(decoded.event.id == "kafka:orders/1@17")
        #expect(decoded.event.datacontenttype == "text/plain")
        #expect(
            decoded.event.headers == ["ce_specversion": "1.0", "ce_source": "/s", "ferry-dlq-reason": "decode", "ce_partitionkey": "k"])
    }

    @Test func malformedRecordsAreTypedErrors() {
        let record = KafkaRecord(value: Data(), headers: [.init(name: "ce_specversion", value: Data("1.0".utf8))])
        let result = KafkaWireFormat.decode(record, position: position, source: "kafka://h/orders")
        #expect(throws: FerryError.self) { try result.get() }
    }

    @Test func runtimeVersionIsKnown() {
        #expect(KafkaRuntime.version.split(separator: ".").count >= 3)
    }

    /// A producer sets a record's timestamp to anything: one beyond what microseconds can
    /// hold used to trap (overflow) in every consumer of the topic.
    @Test(arguments: [Int64.max, Int64.max / 1000 + 1, -Int64.max, 253_402_300_800_000])
    func anAbsurdTimestampIsDropped(_ millis: Int64) throws {
        let decoded = try KafkaWireFormat.decode(
            KafkaRecord(value: Data("x".utf8), timestampMillis: millis), position: position, source: "kafka://k/orders"
        ).get()
        #expect(decoded.mode == .plain)
        #expect(decoded.event.timeMicros == nil, "no time rather than a wrong one")
    }
}

@Suite struct KafkaRuntimeTests {
    /// Under scripts/test the 2.16 runtime from PyPI must be the one loaded: 2.0.2 cannot talk to Tansu.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FERRY_KAFKA_URL"] != nil))
    func localStackLoadsARecentLibrdkafka() {
        #expect(KafkaRuntime.isRecentEnough, "librdkafka \(KafkaRuntime.version) is loaded; check LD_LIBRARY_PATH (scripts/env.sh)")
    }
}
