import Ferry
import FerryConformance
import FerryRabbitMQ
import Foundation
import Testing

@Suite struct AMQPWireFormatTests {
    let position = Position(destination: "billing", offset: "5")

    @Test(arguments: WireFixtures.all)
    func binaryModeRoundTripIsLossless(_ event: Event) throws {
        let message = try AMQPWireFormat.encode(event)
        let decoded = try AMQPWireFormat.decode(message, position: position, source: "amqp://h/%2F").get()
        #expect(decoded.mode == .binary)
        #expect(decoded.event == event)
    }

    @Test func usesThePropertiesAndPrefixedHeaders() throws {
        let event = WireFixtures.fullEvent()
        let message = try AMQPWireFormat.encode(event)
        #expect(message.contentType == "application/octet-stream")
        #expect(message.messageID == "evt-full-1")
        #expect(message.timestamp == 1_764_000_000)
        #expect(message.correlationID == "corr-1")
        #expect(message.deliveryMode == 2)
        #expect(message.headers["ce-specversion"] == "1.0", "the RabbitMQ protocol binding by default")
        #expect(message.headers["ce-partitionkey"] == "customer-9")
        #expect(message.headers["ce-datacontenttype"] == nil)
        #expect(message.headers["Note"] == "ünïcode ✓")
        #expect(message.body == event.data)
    }

    @Test func theAMQPBindingWritesCloudEventsColonHeaders() throws {
        let event = WireFixtures.fullEvent()
        let message = try AMQPWireFormat.encode(event, binding: .amqp)
        #expect(message.headers["cloudEvents:specversion"] == "1.0")
        #expect(message.headers.keys.allSatisfy { !$0.hasPrefix("ce-") })
        #expect(try AMQPWireFormat.decode(message, position: position, source: "amqp://h/%2F").get().event == event)
    }

    /// A free-form header named like another binding's attribute would be read as one.
    @Test(arguments: ["ce-region", "cloudEvents:region", "cloudEvents_region"])
    func headersNamedLikeAttributesAreRefused(_ name: String) {
        var event = WireFixtures.minimalEvent()
        event.headers = [name: "eu"]
        for binding in AMQPWireFormat.Binding.allCases {
            #expect(throws: FerryError.self, "\(binding)") { try AMQPWireFormat.encode(event, binding: binding) }
        }
    }

    /// Other producers' CloudEvents: the RabbitMQ protocol binding's `ce-` headers (the official
    /// SDKs) and the AMQP 1.0 binding's `cloudEvents_` are read like Ferry's `cloudEvents:`.
    @Test(arguments: ["ce-", "cloudEvents_"])
    func theOtherBindingsPrefixesAreRead(_ prefix: String) throws {
        let message = AMQPMessage(
            contentType: "text/plain",
            headers: [
                "\(prefix)specversion": "1.0", "\(prefix)id": "sdk-1", "\(prefix)source": "/sdk", "\(prefix)type": "com.example.t",
                "\(prefix)subject": "s-1", "\(prefix)tenant": "acme", "x-other": "kept",
            ], body: Data("not json".utf8))
        let decoded = try AMQPWireFormat.decode(message, position: position, source: "amqp://h/%2F").get()
        #expect(decoded.mode == .binary)
        #expect(decoded.event.id == "sdk-1")
        #expect(decoded.event.type == "com.example.t")
        #expect(decoded.event.subject == "s-1")
        #expect(decoded.event.extensions["tenant"] == "acme")
        #expect(decoded.event.datacontenttype == "text/plain")
        #expect(decoded.event.headers == ["x-other": "kept"])
        #expect(decoded.event.data == Data("not json".utf8))
    }

    @Test func plainMessagesKeepTheirAMQPProperties() throws {
        let message = AMQPMessage(
            contentType: "text/plain", messageID: "legacy-7", timestamp: 1_764_000_000, correlationID: "c-9",
            headers: ["x-origin": "php"], body: Data("hi".utf8))
        let decoded = try AMQPWireFormat.decode(message, position: position, source: "amqp://h/%2F").get()
        #expect(decoded.mode == .plain)
        #expect(decoded.event.id == "legacy-7")
        #expect(decoded.event.correlationid == "c-9")
        #expect(decoded.event.timeMicros == 1_764_000_000_000_000)
        #expect(decoded.event.datacontenttype == "text/plain")
        #expect(decoded.event.headers == ["x-origin": "php"])
    }

    @Test func structuredMessagesAreRead() throws {
        let event = WireFixtures.jsonEvent()
        let message = AMQPWireFormat.message(
            RawMessage(body: try StructuredFormat.encode(event), contentType: StructuredFormat.contentType))
        let decoded = try AMQPWireFormat.decode(message, position: position, source: "amqp://h/%2F").get()
        #expect(decoded.mode == .structured)
        #expect(decoded.event == event)
    }

    @Test func malformedMessagesAreTypedErrors() {
        let message = AMQPMessage(headers: ["cloudEvents:specversion": "1.0", "cloudEvents:id": "x"], body: Data())
        let result = AMQPWireFormat.decode(message, position: position, source: "amqp://h/%2F")
        let error = #expect(throws: FerryError.self) { try result.get() }
        #expect(error?.message.contains("'source'") == true)
    }

    @Test func runtimeVersionIsKnown() {
        #expect(RabbitMQRuntime.version.hasPrefix("0."))
    }

    /// The `timestamp` property is a producer's 64-bit number: near 2^63 it used to trap.
    @Test(arguments: [UInt64.max, UInt64(Int64.max), UInt64(Int64.max / 1_000_000) + 1])
    func anAbsurdTimestampIsDropped(_ seconds: UInt64) throws {
        let message = AMQPMessage(timestamp: seconds, body: Data("x".utf8))
        let decoded = try AMQPWireFormat.decode(message, position: position, source: "amqp://h/").get()
        #expect(decoded.mode == .plain)
        #expect(decoded.event.timeMicros == nil)
    }
}
