import Ferry
import Foundation

/// CloudEvents over AMQP 0-9-1, binary mode: every attribute in the headers table under the
/// endpoint's binding's prefix (`binding=rabbitmq`, the default: `ce-<name>`, the RabbitMQ
/// protocol binding the official SDKs use; `binding=amqp`: `cloudEvents:<name>`, as the AMQP 1.0
/// binding and Spring write it), except `datacontenttype`, which is the `content_type`
/// property. `message_id` = id, `timestamp` = time (seconds) and `correlation_id` =
/// correlationid are set too, for AMQP tools. Messages are persistent. Every binding's
/// attributes, structured mode and plain messages are read.
package enum AMQPWireFormat {
    /// Which header prefix a publisher writes attributes under.
    package enum Binding: String, Sendable, CaseIterable {
        case rabbitmq, amqp

        var prefix: String { self == .rabbitmq ? "ce-" : "cloudEvents:" }
    }

    /// The first prefix decoding looks for attributes under; `otherPrefixes` are read too.
    static let prefix = "cloudEvents:"
    static let binding = HeaderBinding(prefix: prefix, alsoReading: otherPrefixes, reservedPrefixes: otherPrefixes)
    private static let publishing: [Binding: HeaderBinding] = Dictionary(
        uniqueKeysWithValues: Binding.allCases.map { binding in
            (binding, HeaderBinding(prefix: binding.prefix, reservedPrefixes: ([prefix] + otherPrefixes).filter { $0 != binding.prefix }))
        })

    package static func encode(_ event: Event, binding: Binding = .rabbitmq) throws(FerryError) -> AMQPMessage {
        var headers = Dictionary(try publishing[binding]!.encode(event), uniquingKeysWith: { $1 })
        let contentType = headers.removeValue(forKey: binding.prefix + "datacontenttype")
        return AMQPMessage(
            contentType: contentType, messageID: event.id,
            timestamp: event.timeMicros.map { UInt64(max(0, $0 / 1_000_000)) },
            correlationID: event.correlationid, headers: headers, body: event.data)
    }

    package static func message(_ raw: RawMessage) -> AMQPMessage {
        AMQPMessage(contentType: raw.contentType, headers: raw.headers, body: raw.body)
    }

    /// The prefixes other CloudEvents producers put attributes under on AMQP: `ce-` (the
    /// RabbitMQ protocol binding, as the official SDKs write it) and `cloudEvents_` (the AMQP 1.0
    /// binding's other form). Read like `cloudEvents:`.
    static let otherPrefixes = ["ce-", "cloudEvents_"]

    package static func decode(
        _ message: AMQPMessage, position: Position, source: String, limits: MessageLimits = MessageLimits()
    ) -> Result<DecodedEnvelope, FerryError> {
        let size = MessageLimits.size(body: message.body.count, headers: message.headers) { $0.key.utf8.count + $0.value.utf8.count }
        do { try limits.check(headers: message.headers.count, bytes: size, nesting: message.nesting) } catch { return .failure(error) }
        func origin() -> PlainOrigin {
            PlainOrigin(
                id: message.messageID ?? "amqp:\(position)", source: source,
                timeMicros: message.timestamp.flatMap { Int64(exactly: $0) }.flatMap { PlainOrigin.time($0, unitMicros: 1_000_000) })
        }
        return Result { () throws(FerryError) in
            var decoded = try binding.decode(
                headers: message.headers, data: message.body, contentType: message.contentType, origin: origin())
            if decoded.mode == .plain { decoded.event.correlationid = message.correlationID }
            return decoded
        }
    }
}
