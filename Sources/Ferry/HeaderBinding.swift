import Foundation

/// CloudEvents binary mode over string headers: each attribute in a header named
/// `<prefix><attribute>`, free-form headers beside them under their own names.
///
/// Kafka, Redis and the in-memory backend use the prefix `ce_`; RabbitMQ uses `cloudEvents:`.
/// Each adapter then moves the attributes its transport has a native place for (Kafka's record
/// key, AMQP's content_type...). Decoding also recognises structured mode and plain messages.
public struct HeaderBinding: Sendable {
    public let prefix: String
    /// Header names (lower-case) a free-form header may not use on this transport.
    public let reservedHeaders: Set<String>
    private let lowercasedPrefix: String

    public init(prefix: String, reservedHeaders: Set<String> = []) {
        self.prefix = prefix
        self.reservedHeaders = reservedHeaders
        lowercasedPrefix = prefix.lowercased()
    }

    /// The attribute headers and free-form headers of `event`.
    public func encode(_ event: Event) throws(FerryError) -> [String: String] {
        var headers: [String: String] = [:]
        headers.reserveCapacity(event.headers.count + 8)
        for (name, value) in event.headers {
            let lower = name.lowercased()
            guard !name.isEmpty, !lower.hasPrefix(lowercasedPrefix), !reservedHeaders.contains(lower) else {
                throw FerryError(
                    .invalidEvent, "header '\(name)' of event \(event.id) uses a name reserved by the wire mapping",
                    remedy: "rename the header; names starting with '\(prefix)' and \(reservedHeaders.sorted()) are reserved")
            }
            headers[name] = value
        }
        for (name, value) in try EventAttributes.flatten(event) {
            headers[prefix + name] = value
        }
        return headers
    }

    /// Reads a message: binary mode when the `<prefix>specversion` header is present, structured
    /// mode when the content type says so, and otherwise a plain message wrapped from `origin`
    /// (made only when needed: most messages are envelopes).
    ///
    /// A dead letter whose envelope is broken (it was dead-lettered for that) is wrapped as a
    /// plain message instead of failing again, so that operators can always read and replay it.
    public func decode(
        headers: [String: String], data: Data, contentType: String?, origin: @autoclosure () -> PlainOrigin
    ) throws(FerryError) -> DecodedEnvelope {
        do {
            if let envelope = try decodeEnvelope(headers: headers, data: data, contentType: contentType, origin: origin) {
                return envelope
            }
        } catch {
            if headers[DeadLetterRecord.Header.reason] == nil { throw error }
        }
        return wrap(headers: headers, data: data, contentType: contentType, origin: origin())
    }

    /// Binary or structured mode; nil when the message carries no CloudEvent at all.
    private func decodeEnvelope(
        headers: [String: String], data: Data, contentType: String?, origin: () -> PlainOrigin
    ) throws(FerryError) -> DecodedEnvelope? {
        func place() -> String {
            let origin = origin()
            return "message \(origin.id) from \(origin.source)"
        }
        if headers[prefix + "specversion"] != nil {
            var attributes: [String: String] = [:]
            var plain: [String: String] = [:]
            for (name, value) in headers {
                if name.hasPrefix(prefix) {
                    attributes[String(name.dropFirst(prefix.count))] = value
                } else {
                    plain[name] = value
                }
            }
            if let contentType, attributes["datacontenttype"] == nil { attributes["datacontenttype"] = contentType }
            let event = try EventAttributes.build(attributes, data: data, headers: plain, where: place())
            return DecodedEnvelope(event: event, mode: .binary)
        }
        if let contentType, StructuredFormat.isStructured(contentType: contentType) {
            var event = try StructuredFormat.decode(data, where: place())
            event.headers = headers
            return DecodedEnvelope(event: event, mode: .structured)
        }
        return nil
    }

    private func wrap(headers: [String: String], data: Data, contentType: String?, origin: PlainOrigin) -> DecodedEnvelope {
        var event = Event(
            id: origin.id, source: origin.source, type: Event.plainType, time: nil,
            datacontenttype: contentType, partitionkey: origin.partitionkey, headers: headers, data: data)
        event.timeMicros = origin.timeMicros
        return DecodedEnvelope(event: event, mode: .plain)
    }
}
