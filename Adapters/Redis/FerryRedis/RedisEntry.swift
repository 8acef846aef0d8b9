import CHiredis
import Ferry
import Foundation

/// A Redis stream entry as Ferry writes and reads it, before it reaches hiredis.
package struct RedisEntry: Sendable, Hashable {
    package typealias Field = WireField

    /// The entry id (`1700000000000-0`); nil before XADD has assigned one.
    package var id: String?
    package var fields: [Field]

    package init(id: String? = nil, fields: [Field]) {
        self.id = id
        self.fields = fields
    }

    /// An entry id (`<ms>-<seq>`) as numbers, which sort the way Redis orders ids.
    static func order(_ id: String) -> (UInt64, UInt64) {
        let parts = id.split(separator: "-", maxSplits: 1)
        return (parts.first.flatMap { UInt64($0) } ?? 0, parts.dropFirst().first.flatMap { UInt64($0) } ?? 0)
    }

    /// The id of the first entry `start` reads (nil: none yet written, `.latest`); an entry id
    /// is its time in milliseconds and a sequence number.
    static func firstID(_ start: SubscribeOptions.Start) throws(FerryError) -> (UInt64, UInt64)? {
        switch start {
        case .earliest: return (0, 0)
        case .latest: return nil
        case .time(let time):
            let micros = max(0, Event.micros(of: time))
            return (UInt64(micros / 1000 + (micros % 1000 == 0 ? 0 : 1)), 0)
        case .offset(let id):
            let parts = id.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let ms = UInt64(parts[0]), let seq = parts.count == 2 ? UInt64(parts[1]) : 0 else {
                throw FerryError(.invalidConfiguration, "start offset '\(id)' is not a Redis entry id (MS-SEQ, like 1700000000000-0)")
            }
            return (ms, seq)
        }
    }

    /// The last-delivered id a new group gets so that it reads from `start` on (XGROUP CREATE).
    static func groupStart(_ start: SubscribeOptions.Start) throws(FerryError) -> String {
        guard let (ms, seq) = try firstID(start) else { return "$" }
        if seq > 0 { return "\(ms)-\(seq - 1)" }
        return ms > 0 ? "\(ms - 1)-\(UInt64.max)" : "0"
    }

    /// The entries of a stream reply (`[[id, [name, value...]]...]`), copied out of hiredis;
    /// anything not shaped so is skipped.
    static func list(_ reply: UnsafeMutablePointer<redisReply>) -> [RedisEntry] {
        let items = reply.pointee
        guard items.type == REDIS_REPLY_ARRAY else { return [] }
        var entries: [RedisEntry] = []
        entries.reserveCapacity(items.elements)
        for index in 0..<items.elements {
            let item = items.element[index]!.pointee
            guard item.type == REDIS_REPLY_ARRAY, item.elements == 2,
                let id = string(item.element[0]!).map({ String(decoding: $0, as: UTF8.self) }),
                case let values = item.element[1]!.pointee, values.type == REDIS_REPLY_ARRAY
            else { continue }
            var fields: [Field] = []
            fields.reserveCapacity(values.elements / 2)
            var field = 0
            while field + 1 < values.elements {
                if let name = string(values.element[field]!), let value = string(values.element[field + 1]!) {
                    fields.append(Field(name: RedisWireFormat.binding.headerName(utf8: name), value: Data(buffer: value)))
                }
                field += 2
            }
            entries.append(RedisEntry(id: id, fields: fields))
        }
        return entries
    }

    /// The bytes of a bulk-string reply (valid until the reply is freed); nil for other types.
    private static func string(_ reply: UnsafeMutablePointer<redisReply>) -> UnsafeBufferPointer<UInt8>? {
        let r = reply.pointee
        guard r.type == REDIS_REPLY_STRING else { return nil }
        guard let bytes = r.str else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: UnsafeRawPointer(bytes).assumingMemoryBound(to: UInt8.self), count: r.len)
    }
}
