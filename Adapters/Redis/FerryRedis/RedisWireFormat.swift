import Ferry
import Foundation

/// Ferry's binding for Redis Streams, which have no official CloudEvents binding: one entry
/// field per attribute (`ce_<name>`, `datacontenttype` included), free-form headers as fields
/// under their own names, and the data in a `data` field.
///
/// Read side: structured mode is recognised by a `content-type` field or by a `data` field
/// holding a JSON CloudEvent (as Dapr writes). An entry from a plain producer is wrapped: its
/// `data` field (if any) is the data and the other fields are headers; with no `data` field,
/// all fields become a JSON object of strings.
package enum RedisWireFormat {
    static let binding = HeaderBinding(prefix: "ce_", reservedHeaders: ["data"])

    package static func encode(_ event: Event) throws(FerryError) -> RedisEntry {
        var fields = try binding.encode(event).map { RedisEntry.Field(name: $0.name, value: WireField.bytes($0.value)) }
        fields.append(.init(name: "data", value: event.data))
        return RedisEntry(fields: fields)
    }

    /// The XADD of `event`: `head` (XADD, stream, trimming, id), then the fields `encode` gives,
    /// written straight into one buffer (this runs for every event published).
    static func command(_ event: Event, head: [String]) throws(FerryError) -> RedisCommand {
        var command = RedisCommand(head)
        try binding.forEachHeader(event) { _, name, value in
            command.append(name)
            command.append(value)
        }
        command.append("data")
        command.append(event.data)
        return command
    }

    package static func entry(_ message: RawMessage) -> RedisEntry {
        var fields = WireField.list(message.headers)
        if let contentType = message.contentType { fields.append(.init(name: "content-type", value: Data(contentType.utf8))) }
        fields.append(.init(name: "data", value: message.body))
        return RedisEntry(fields: fields)
    }

    package static func decode(
        _ entry: RedisEntry, position: Position, source: String, limits: MessageLimits = MessageLimits()
    ) -> Result<DecodedEnvelope, FerryError> {
        let size = MessageLimits.size(body: 0, headers: entry.fields) { $0.name.utf8.count + $0.value.count }
        do { try limits.check(headers: entry.fields.count, bytes: size) } catch { return .failure(error) }
        func origin() -> PlainOrigin {
            PlainOrigin(id: "redis:\(position)", source: source, timeMicros: entryTimeMicros(position.offset))
        }
        var data: Data?
        var binary = false
        for field in entry.fields {
            if field.name == "data" {
                data = field.value
            } else if field.name == "ce_specversion" {
                binary = true
            }
        }
        if binary, let data,
            let envelope = try? binding.decodeBinary(entry.fields, skipping: "data", data: data, contentType: nil, origin: origin())
        {
            return .success(envelope)
        }
        var headers = WireField.texts(entry.fields, skipping: "data")
        var contentType: String?
        if !binary {
            contentType = headers.removeValue(forKey: "content-type")
            if contentType == nil, let data, looksStructured(data) { contentType = StructuredFormat.contentType }
        }
        let body: Data
        if let data {
            body = data
        } else {
            body = (try? JSONSerialization.data(withJSONObject: headers, options: .sortedKeys)) ?? Data()
            headers = [:]
            contentType = "application/json"
        }
        return Result { () throws(FerryError) in
            try binding.decode(headers: headers, data: body, contentType: contentType, origin: origin())
        }
    }

    /// A JSON object with a `specversion` member: a CloudEvent in structured mode.
    static func looksStructured(_ data: Data) -> Bool {
        guard data.first == UInt8(ascii: "{"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return object["specversion"] != nil
    }

    /// Entry ids start with the milliseconds at which Redis added them.
    static func entryTimeMicros(_ id: String) -> Int64? {
        id.split(separator: "-").first.flatMap { Int64($0) }.flatMap { PlainOrigin.time($0, unitMicros: 1000) }
    }
}
