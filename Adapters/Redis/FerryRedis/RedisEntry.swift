import Foundation

/// A Redis stream entry as Ferry writes and reads it, before it reaches hiredis.
package struct RedisEntry: Sendable, Hashable {
    package struct Field: Sendable, Hashable {
        package var name: String
        package var value: Data

        package init(name: String, value: Data) {
            self.name = name
            self.value = value
        }
    }

    /// The entry id (`1700000000000-0`); nil before XADD has assigned one.
    package var id: String?
    package var fields: [Field]

    package init(id: String? = nil, fields: [Field]) {
        self.id = id
        self.fields = fields
    }
}
