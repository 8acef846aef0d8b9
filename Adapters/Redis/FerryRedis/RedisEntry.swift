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
}
