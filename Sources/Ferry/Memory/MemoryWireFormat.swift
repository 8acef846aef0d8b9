import Foundation

/// The in-memory backend's wire mapping: Kafka's (`ce_` headers, content type apart,
/// `partitionkey` as the record key).
enum MemoryWireFormat {
    static let binding = HeaderBinding(prefix: "ce_", reservedHeaders: ["content-type"])

    static func encode(_ event: Event, now: Int64) throws(FerryError) -> MemoryRecord {
        var headers = Dictionary(try binding.encode(event), uniquingKeysWith: { $1 })
        let contentType = headers.removeValue(forKey: "ce_datacontenttype")
        let key = headers.removeValue(forKey: "ce_partitionkey")
        return MemoryRecord(key: key, headers: headers, contentType: contentType, body: event.data, timeMicros: now)
    }

    static func record(_ message: RawMessage, now: Int64) -> MemoryRecord {
        MemoryRecord(key: message.key, headers: message.headers, contentType: message.contentType, body: message.body, timeMicros: now)
    }

    static func decode(_ record: MemoryRecord, position: Position, source: String, limits: MessageLimits) -> Result<
        DecodedEnvelope, FerryError
    > {
        let size = MessageLimits.size(body: record.body.count + (record.key?.utf8.count ?? 0), headers: record.headers) {
            $0.key.utf8.count + $0.value.utf8.count
        }
        do { try limits.check(headers: record.headers.count, bytes: size) } catch { return .failure(error) }
        var headers = record.headers
        if headers["ce_specversion"] != nil, let key = record.key { headers["ce_partitionkey"] = key }
        func origin() -> PlainOrigin {
            PlainOrigin(id: "memory:\(position)", source: source, timeMicros: record.timeMicros, partitionkey: record.key)
        }
        return Result { () throws(FerryError) in
            try binding.decode(headers: headers, data: record.body, contentType: record.contentType, origin: origin())
        }
    }
}
