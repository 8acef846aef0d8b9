import Ferry
import Foundation

/// Events that exercise every part of the envelope, for the wire-mapping tests of each adapter.
public enum WireFixtures {
    /// Every attribute set, extensions, free-form headers with non-ASCII text, binary data.
    public static func fullEvent() -> Event {
        var event = Event(
            id: "evt-full-1", source: "urn:ferry:fixtures", type: "com.example.order.placed",
            time: Date(timeIntervalSince1970: 1_764_000_000.123456), datacontenttype: "application/octet-stream",
            dataschema: "https://schemas.example.com/order/2", subject: "order-42", idempotencykey: "idem-42",
            correlationid: "corr-1", causationid: "cause-1", partitionkey: "customer-9", dataversion: 2,
            extensions: ["region": "eu", "tenant7": "acme"], headers: ["x-request-id": "r-1", "Note": "ünïcode ✓"],
            data: Data([0, 1, 2, 0xFF, 0xFE, 10, 13]))
        event.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        event.tracestate = "vendor=value"
        return event
    }

    /// Only the required attributes, and no data.
    public static func minimalEvent() -> Event {
        Event(id: "evt-min-1", source: "/s", type: "t", time: nil)
    }

    /// A JSON event such as a typed payload produces.
    public static func jsonEvent() -> Event {
        Event(
            id: "evt-json-1", source: "/orders", type: "com.example.order.placed",
            time: Date(timeIntervalSince1970: 1_764_000_000), datacontenttype: "application/json", dataversion: 1,
            data: Data(#"{"orderID":"o-1","lines":[1,2,{"sku":"x"}],"note":"a \"quoted\" word"}"#.utf8))
    }

    public static var all: [Event] { [fullEvent(), minimalEvent(), jsonEvent()] }
}
