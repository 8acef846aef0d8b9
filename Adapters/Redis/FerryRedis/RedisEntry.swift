import Foundation

/// A Redis stream entry as Ferry writes and reads it, before it reaches hiredis.
public struct RedisEntry: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: Data

        public init(name: String, value: Data) {
            self.name = name
            self.value = value
        }
    }

    /// The entry id (`1700000000000-0`); nil before XADD has assigned one.
    public var id: String?
    public var fields: [Field]

    public init(id: String? = nil, fields: [Field]) {
        self.id = id
        self.fields = fields
    }
}
