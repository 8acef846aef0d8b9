import Foundation

/// CloudEvents binary mode over string headers: each attribute in a header named
/// `<prefix><attribute>`, free-form headers beside them under their own names.
///
/// Kafka, Redis and the in-memory backend use the prefix `ce_`; RabbitMQ `ce-` (its protocol
/// binding) or `cloudEvents:` (the AMQP 1.0 binding's), as the endpoint says.
/// Each adapter then moves the attributes its transport has a native place for (Kafka's record
/// key, AMQP's content_type...). Decoding also recognises structured mode and plain messages.
package struct HeaderBinding: Sendable {
    package let prefix: String
    /// Header names (lower-case) a free-form header may not use on this transport.
    package let reservedHeaders: Set<String>
    /// Prefixes (lower-case) a free-form header may not start with: other bindings' attribute
    /// prefixes, which a reader would take for attributes.
    package let reservedPrefixes: [String]
    private let lowercasedPrefix: String
    /// `prefix`, then the prefixes other producers' bindings use on this transport: a message
    /// is read under the first one its `specversion` header carries.
    private let readPrefixes: [String]
    /// `<read prefix>specversion` for each of `readPrefixes`, made once (AMQP's is too long to be
    /// a small string: concatenated per message, it cost an allocation).
    private let specversionNames: [String]
    /// `prefix`'s header name of each attribute, by `ordinal`.
    private let names: [String]

    /// `alsoReading`: other bindings' prefixes whose messages are read too (never written).
    package init(prefix: String, alsoReading: [String] = [], reservedHeaders: Set<String> = [], reservedPrefixes: [String] = []) {
        self.prefix = prefix
        self.reservedHeaders = reservedHeaders
        self.reservedPrefixes = reservedPrefixes.map { $0.lowercased() }
        lowercasedPrefix = prefix.lowercased()
        readPrefixes = [prefix] + alsoReading
        specversionNames = readPrefixes.map { $0 + EventAttribute.specversion.rawValue }
        names = EventAttribute.allCases.map { prefix + $0.rawValue }
    }

    /// A header name read from the wire as a string: the binding's own when it is an attribute's
    /// name under `prefix` and too long for a small string (`ce_datacontenttype`), so that it
    /// costs no allocation per message; else a new one.
    package func headerName(utf8 name: UnsafeBufferPointer<UInt8>) -> String {
        if name.count > 15,
            let attribute = prefix.utf8.withContiguousStorageIfAvailable({ prefix in
                name.hasBytePrefix(prefix) ? EventAttribute(utf8: UnsafeBufferPointer(rebasing: name[prefix.count...])) : nil
            }) ?? nil
        {
            return names[attribute.ordinal]
        }
        return String(decoding: name, as: UTF8.self)
    }

    /// The attribute headers of `event` (in a fixed order), then its free-form headers (sorted).
    package func encode(_ event: Event) throws(FerryError) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(event.headers.count + 12)
        try forEachHeader(event) { _, name, value in headers.append((name, value)) }
        return headers
    }

    /// `encode` without the list: `body` gets each header with the attribute it carries (nil for
    /// an extension attribute or a free-form header), for adapters that give some a native place.
    package func forEachHeader(_ event: Event, _ body: (EventAttribute?, String, String) -> Void) throws(FerryError) {
        try EventAttributes.forEach(event) { attribute, name, value in
            body(attribute, attribute.map { names[$0.ordinal] } ?? prefix + name, value)
        }
        guard !event.headers.isEmpty else { return }
        for (name, value) in event.headers.sorted(by: { $0.key < $1.key }) {
            let lower = name.lowercased()
            guard !name.isEmpty, !lower.hasPrefix(lowercasedPrefix), !reservedHeaders.contains(lower),
                !reservedPrefixes.contains(where: { lower.hasPrefix($0) })
            else {
                throw FerryError(
                    .invalidEvent, "header '\(name)' of event \(event.id) uses a name reserved by the wire mapping",
                    remedy:
                        "rename the header; names starting with \(([prefix] + reservedPrefixes).map { "'\($0)'" }.joined(separator: ", ")) and \(reservedHeaders.sorted()) are reserved"
                )
            }
            body(nil, name, value)
        }
    }

    /// Reads a message: binary mode when the `<prefix>specversion` header is present, structured
    /// mode when the content type says so, and otherwise a plain message wrapped from `origin`
    /// (made only when needed: most messages are envelopes).
    ///
    /// A dead letter whose envelope is broken (it was dead-lettered for that) is wrapped as a
    /// plain message instead of failing again, so that operators can always read and replay it.
    package func decode(
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
        if let index = specversionNames.firstIndex(where: { headers[$0] != nil }) {
            return try binary(
                headers.lazy.map { ($0.key, $0.value) }, under: readPrefixes[index], data: data, contentType: contentType,
                origin: origin())
        }
        if let contentType, StructuredFormat.isStructured(contentType: contentType) {
            var event = try StructuredFormat.decode(data, where: Self.place(origin()))
            event.headers = headers
            return DecodedEnvelope(event: event, mode: .structured)
        }
        return nil
    }

    /// Binary mode straight from a byte transport's fields (Kafka headers, Redis entry fields),
    /// each value made text as it is read, with no list of pairs first. `skipping`: the field
    /// the transport reads elsewhere (Kafka's `content-type`, Redis' `data`); `partitionKey`:
    /// the transport's own key (Kafka's record key), which wins over a header. The caller has
    /// seen `<prefix>specversion` among them; on an error it falls back to `decode`, which also
    /// reads broken dead letters.
    package func decodeBinary(
        _ fields: [WireField], skipping skipped: String, partitionKey: String? = nil, data: Data, contentType: String?,
        origin: @autoclosure () -> PlainOrigin
    ) throws(FerryError) -> DecodedEnvelope {
        try binary(
            fields.lazy.filter { $0.name != skipped }.map { ($0.name, $0.text) }, under: prefix, partitionKey: partitionKey,
            data: data, contentType: contentType, origin: origin())
    }

    /// Binary mode over any header sequence, attributes under `read`; private, so that each use
    /// is specialised.
    private func binary<Headers: Sequence<(String, String)>>(
        _ headers: Headers, under read: String, partitionKey: String? = nil, data: Data, contentType: String?,
        origin: @autoclosure () -> PlainOrigin
    ) throws(FerryError) -> DecodedEnvelope {
        var builder = EventBuilder(data: data, headers: [:])
        var plain: [String: String] = [:]
        for (name, value) in headers {
            switch Self.header(name, under: read) {
            case .plain: plain[name] = value
            case .attribute(let attribute): builder.set(attribute, value)
            case .extension(let attributeName): builder.setExtension(attributeName, value)
            }
        }
        if let partitionKey { builder.set(.partitionkey, partitionKey) }
        if let contentType, !builder.hasContentType { builder.set(.datacontenttype, contentType) }
        var event = try builder.build(where: { Self.place(origin()) })
        event.headers = plain
        return DecodedEnvelope(event: event, mode: .binary)
    }

    /// What a binary-mode header is: a plain header (not under `prefix`), an attribute Ferry
    /// knows, or an extension attribute (its name without the prefix).
    private enum Header {
        case plain
        case attribute(EventAttribute)
        case `extension`(String)
    }

    /// Reads `name` through its bytes: this runs for every header of every message.
    private static func header(_ name: String, under prefix: String) -> Header {
        var name = name
        var prefix = prefix
        return name.withUTF8 { name in
            prefix.withUTF8 { prefix in
                guard name.hasBytePrefix(prefix) else { return .plain }
                let rest = UnsafeBufferPointer(rebasing: name[prefix.count...])
                if let attribute = EventAttribute(utf8: rest) { return .attribute(attribute) }
                return .extension(String(decoding: rest, as: UTF8.self))
            }
        }
    }

    /// How errors name a message.
    private static func place(_ origin: PlainOrigin) -> String { "message \(origin.id) from \(origin.source)" }

    private func wrap(headers: [String: String], data: Data, contentType: String?, origin: PlainOrigin) -> DecodedEnvelope {
        var event = Event(
            id: origin.id, source: origin.source, type: Event.plainType, time: nil,
            datacontenttype: contentType, partitionkey: origin.partitionkey, headers: headers, data: data)
        event.timeMicros = origin.timeMicros
        return DecodedEnvelope(event: event, mode: .plain)
    }
}
