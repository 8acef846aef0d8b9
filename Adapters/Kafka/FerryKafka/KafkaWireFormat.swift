import Ferry
import Foundation

/// The CloudEvents Kafka protocol binding, binary mode: each attribute in a `ce_<name>` header,
/// `datacontenttype` in `content-type`, `partitionkey` as the record key, data as the value.
/// Structured mode (`content-type: application/cloudevents+json`) and plain records are read too.
package enum KafkaWireFormat {
    static let binding = HeaderBinding(prefix: "ce_", reservedHeaders: ["content-type"])

    package static func encode(_ event: Event) throws(FerryError) -> KafkaRecord {
        var record = KafkaRecord(value: event.data)
        record.headers.reserveCapacity(12)
        var contentType: String?
        try binding.forEachHeader(event) { attribute, name, value in
            switch attribute {
            case .datacontenttype: contentType = value
            case .partitionkey: record.key = WireField.bytes(value)
            default: record.headers.append(.init(name: name, text: value))
            }
        }
        if let contentType { record.headers.append(.init(name: "content-type", text: contentType)) }
        return record
    }

    package static func record(_ message: RawMessage) -> KafkaRecord {
        var headers = WireField.list(message.headers)
        if let contentType = message.contentType { headers.append(.init(name: "content-type", text: contentType)) }
        return KafkaRecord(key: message.key.map(WireField.bytes), value: message.body, headers: headers)
    }

    package static func decode(
        _ record: KafkaRecord, position: Position, source: String, limits: MessageLimits = MessageLimits()
    ) -> Result<DecodedEnvelope, FerryError> {
        let size = MessageLimits.size(body: record.value.count + (record.key?.count ?? 0), headers: record.headers) {
            $0.name.utf8.count + $0.value.count
        }
        do { try limits.check(headers: record.headers.count, bytes: size) } catch { return .failure(error) }
        var contentType: String?
        var binary = false
        for header in record.headers {
            if header.name == "content-type" {
                contentType = header.text
            } else if header.name == "ce_specversion" {
                binary = true
            }
        }
        let key = record.key.map(WireField.text)
        func origin() -> PlainOrigin {
            PlainOrigin(
                id: "kafka:\(position)", source: source,
                timeMicros: record.timestampMillis.flatMap { PlainOrigin.time($0, unitMicros: 1000) }, partitionkey: key)
        }
        if binary,
            let envelope = try? binding.decodeBinary(
                record.headers, skipping: "content-type", partitionKey: key, data: record.value, contentType: contentType,
                origin: origin())
        {
            return .success(envelope)
        }
        var headers = WireField.texts(record.headers, skipping: "content-type")
        if binary, let key { headers["ce_partitionkey"] = key }
        return Result { () throws(FerryError) in
            try binding.decode(headers: headers, data: record.value, contentType: contentType, origin: origin())
        }
    }
}
