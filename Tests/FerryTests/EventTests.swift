import Ferry
import Foundation
import Testing

@Suite struct EventTests {
    struct OrderPlaced: EventPayload, Equatable {
        static let eventType = "com.example.order.placed"
        static let eventVersion = 3
        var orderID: String
        var placedAt: Date
    }

    @Test func typedPayloadsRoundTrip() throws {
        let order = OrderPlaced(orderID: "o-1", placedAt: Date(timeIntervalSince1970: 1_764_000_000))
        let event = try Event(order, source: "/orders", subject: "o-1")
        #expect(event.type == "com.example.order.placed")
        #expect(event.dataversion == 3)
        #expect(event.datacontenttype == "application/json")
        #expect(try event.decode(OrderPlaced.self) == order)
    }

    @Test func decodingChecksTypeAndVersion() throws {
        var event = try Event(OrderPlaced(orderID: "o", placedAt: Date()), source: "/orders")
        event.dataversion = 2
        let versionError = #expect(throws: FerryError.self) { try event.decode(OrderPlaced.self) }
        #expect(versionError?.message.contains("version 2") == true)
        event.type = "other"
        let typeError = #expect(throws: FerryError.self) { try event.decode(OrderPlaced.self) }
        #expect(typeError?.code == .payloadDecoding)
        event = Event(source: "/s", type: OrderPlaced.eventType, dataversion: 3, data: Data("{}".utf8))
        let dataError = #expect(throws: FerryError.self) { try event.decode(OrderPlaced.self) }
        #expect(dataError?.message.contains("does not decode") == true)
    }

    @Test func idempotencyKeyIsTheExplicitKeyElseSourceAndID() {
        var event = Event(id: "1", source: "/a", type: "t")
        let other = Event(id: "1", source: "/b", type: "t")
        #expect(IdempotencyKey.of(event, scope: "g") == "g|/a 1")
        #expect(IdempotencyKey.of(event, scope: "g") != IdempotencyKey.of(other, scope: "g"), "an id is unique per source only")
        #expect(IdempotencyKey.of(event, scope: "g") != IdempotencyKey.of(event, scope: "h"), "each scope has its own keys")
        event.idempotencykey = "k"
        #expect(IdempotencyKey.of(event, scope: "g") == "g|k")
    }

    @Test func timeKeepsMicroseconds() {
        let event = Event(source: "/s", type: "t", time: Date(timeIntervalSince1970: 1.000_001_4))
        #expect(event.timeMicros == 1_000_001)
    }

    /// A start time or an event time far outside what 64 bits of microseconds hold is clamped,
    /// not a trap; and a group started at one reads nothing (nothing is that late) or everything.
    @Test func timesBeyondSixtyFourBitsOfMicrosecondsAreClamped() async throws {
        #expect(Event.micros(of: Date(timeIntervalSince1970: 1e300)) == .max)
        #expect(Event.micros(of: Date(timeIntervalSince1970: -1e300)) == .min)
        let transport = MemoryTransport()
        let endpoint = try Endpoint("memory://far?partitions=1")
        let publisher = try await transport.makePublisher(for: endpoint)
        _ = try await publisher.publish(Event(source: "/s", type: "t"))
        for (time, expected) in [(1e300, 0), (-1e300, 1)] {
            var seen = 0
            let history = try #require(transport as (any Browsable)?)
            try await history.history(endpoint, from: .time(Date(timeIntervalSince1970: time)), limits: MessageLimits()) { _ in
                seen += 1
                return true
            }
            #expect(seen == expected)
        }
    }
}
