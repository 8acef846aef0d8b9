import Ferry
import FerryConformance
import FerryRedis
import Foundation
import Testing

@Suite struct RedisWireFormatTests {
    let position = Position(destination: "orders", offset: "1764000000000-0")

    @Test(arguments: WireFixtures.all)
    func binaryModeRoundTripIsLossless(_ event: Event) throws {
        var entry = try RedisWireFormat.encode(event)
        entry.id = position.offset
        let decoded = try RedisWireFormat.decode(entry, position: position, source: "redis://h/orders").get()
        #expect(decoded.mode == .binary)
        #expect(decoded.event == event)
    }

    @Test func oneFieldPerAttributeAndADataField() throws {
        let event = WireFixtures.fullEvent()
        let fields = Dictionary(uniqueKeysWithValues: try RedisWireFormat.encode(event).fields.map { ($0.name, $0.value) })
        #expect(fields["data"] == event.data)
        #expect(fields["ce_datacontenttype"] == Data("application/octet-stream".utf8))
        #expect(fields["ce_partitionkey"] == Data("customer-9".utf8))
        #expect(fields["x-request-id"] == Data("r-1".utf8))
    }

    @Test func aHeaderNamedDataIsRefused() {
        var event = WireFixtures.minimalEvent()
        event.headers["data"] = "x"
        #expect(throws: FerryError.self) { try RedisWireFormat.encode(event) }
    }

    @Test func plainEntriesWithoutDataBecomeAJSONObject() throws {
        let entry = RedisEntry(
            id: position.offset, fields: [.init(name: "order_id", value: Data("7".utf8)), .init(name: "total", value: Data("9.5".utf8))])
        let decoded = try RedisWireFormat.decode(entry, position: position, source: "redis://h/orders").get()
        #expect(decoded.mode == .plain)
        #expect(decoded.event.id == "redis:orders@1764000000000-0")
        #expect(decoded.event.timeMicros == 1_764_000_000_000_000)
        #expect(decoded.event.datacontenttype == "application/json")
        #expect(String(decoding: decoded.event.data, as: UTF8.self) == #"{"order_id":"7","total":"9.5"}"#)
    }

    @Test func daprStyleEntriesAreStructured() throws {
        let event = WireFixtures.jsonEvent()
        let entry = RedisEntry(id: position.offset, fields: [.init(name: "data", value: try StructuredFormat.encode(event))])
        let decoded = try RedisWireFormat.decode(entry, position: position, source: "redis://h/orders").get()
        #expect(decoded.mode == .structured)
        #expect(decoded.event == event)
    }

    /// Entries other producers wrote: a field given twice counts once, the last one, `data`
    /// included, and no `data` field is ever a header.
    @Test func repeatedFieldsReadTheLastOne() throws {
        let fields = [
            ("ce_specversion", "1.0"), ("ce_id", "e-1"), ("ce_source", "/s"), ("ce_type", "first"), ("data", "old"),
            ("ce_type", "t.v1"), ("data", "new"), ("x-trace", "a"), ("x-trace", "b"),
        ].map { WireField(name: $0.0, text: $0.1) }
        let event = try RedisWireFormat.decode(
            RedisEntry(id: position.offset, fields: fields), position: position, source: "redis://h/orders"
        )
        .get().event
        #expect(event.type == "t.v1")
        #expect(event.data == Data("new".utf8))
        #expect(event.headers == ["x-trace": "b"])
    }

    @Test func malformedEntriesAreTypedErrors() {
        let entry = RedisEntry(
            id: position.offset, fields: [.init(name: "ce_specversion", value: Data("1.0".utf8)), .init(name: "data", value: Data())])
        #expect(throws: FerryError.self) { try RedisWireFormat.decode(entry, position: position, source: "redis://h/orders").get() }
    }

    @Test func headersVersionIsKnown() {
        #expect(HiredisRuntime.version.split(separator: ".").count == 3)
    }

    /// An entry id's milliseconds are whatever the producer chose with an explicit XADD id.
    @Test(arguments: ["9223372036854776-0", "18446744073709551615-0", "253402300800000-0"])
    func anAbsurdEntryIDGivesNoTime(_ id: String) throws {
        let entry = RedisEntry(id: id, fields: [.init(name: "data", value: Data("x".utf8))])
        let decoded = try RedisWireFormat.decode(entry, position: Position(destination: "s", offset: id), source: "redis://h/s").get()
        #expect(decoded.mode == .plain)
        #expect(decoded.event.timeMicros == nil)
    }
}
