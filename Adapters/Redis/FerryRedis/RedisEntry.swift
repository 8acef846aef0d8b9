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

    /// The entries of an XRANGE, XCLAIM or XREADGROUP stream reply (`[[id, [name, value...]]...]`);
    /// anything not shaped so is skipped.
    static func list(_ reply: RedisValue) -> [RedisEntry] {
        (reply.array ?? []).compactMap { item in
            guard let parts = item.array, parts.count == 2, let id = parts[0].text, let values = parts[1].array else { return nil }
            var fields: [Field] = []
            var index = 0
            while index + 1 < values.count {
                if case .string(let value) = values[index + 1], let name = values[index].text {
                    fields.append(.init(name: name, value: value))
                }
                index += 2
            }
            return RedisEntry(id: id, fields: fields)
        }
    }
}
