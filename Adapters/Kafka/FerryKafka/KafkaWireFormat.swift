import Ferry
import Foundation

/// The CloudEvents Kafka protocol binding, binary mode: each attribute in a `ce_<name>` header,
/// `datacontenttype` in `content-type`, `partitionkey` as the record key, data as the value.
/// Structured mode (`content-type: application/cloudevents+json`) and plain records are read too.
public enum KafkaWireFormat {
    static let binding = HeaderBinding(prefix: "ce_", reservedHeaders: ["content-type"])

    public static func encode(_ event: Event) throws(FerryError) -> KafkaRecord {
        var headers = try binding.encode(event)
        let contentType = headers.removeValue(forKey: "ce_datacontenttype")
        let key = headers.removeValue(forKey: "ce_partitionkey")
        var out = headers.sorted { $0.key < $1.key }.map { KafkaRecord.Header(name: $0.key, value: Data($0.value.utf8)) }
        if let contentType { out.append(.init(name: "content-type", value: Data(contentType.utf8))) }
        return KafkaRecord(key: key.map { Data($0.utf8) }, value: event.data, headers: out)
    }

    public static func record(_ message: RawMessage) -> KafkaRecord {
        var headers = message.headers.sorted { $0.key < $1.key }.map { KafkaRecord.Header(name: $0.key, value: Data($0.value.utf8)) }
        if let contentType = message.contentType { headers.append(.init(name: "content-type", value: Data(contentType.utf8))) }
        return KafkaRecord(key: message.key.map { Data($0.utf8) }, value: message.body, headers: headers)
    }

    public static func decode(_ record: KafkaRecord, position: Position, source: String) -> Result<DecodedEnvelope, FerryError> {
        var headers: [String: String] = [:]
        for header in record.headers { headers[header.name] = String(decoding: header.value, as: UTF8.self) }
        let contentType = headers.removeValue(forKey: "content-type")
        let key = record.key.map { String(decoding: $0, as: UTF8.self) }
        if headers["ce_specversion"] != nil, let key { headers["ce_partitionkey"] = key }
        func origin() -> PlainOrigin {
            PlainOrigin(
                id: "kafka:\(position)", source: source, timeMicros: record.timestampMillis.map { $0 * 1000 }, partitionkey: key)
        }
        return Result { () throws(FerryError) in
            try binding.decode(headers: headers, data: record.value, contentType: contentType, origin: origin())
        }
    }
}
