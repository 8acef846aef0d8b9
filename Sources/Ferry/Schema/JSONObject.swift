/// A JSON object's members in the order they were written (event payloads are small, so a
/// linear lookup beats hashing).
public struct JSONObject: Sendable, Hashable {
    /// One name and value, in the order the document had them.
    public struct Member: Sendable, Hashable {
        public var name: String
        public var value: JSONValue
    }

    public private(set) var members: [Member] = []

    public init() {}

    /// Setting nil removes the member; setting a new name appends it.
    public subscript(name: String) -> JSONValue? {
        get { members.last { $0.name == name }?.value }  // a repeated name: the last one wins
        set {
            let index = members.lastIndex { $0.name == name }
            switch (index, newValue) {
            case (let index?, let value?): members[index].value = value
            case (let index?, nil): members.remove(at: index)
            case (nil, let value?): members.append(Member(name: name, value: value))
            case (nil, nil): break
            }
        }
    }

    /// As JSONSerialization would give it, for code upcasters.
    public var anyMembers: [String: Any] { Dictionary(members.map { ($0.name, $0.value.any) }, uniquingKeysWith: { $1 }) }

    /// Appends without looking for an earlier member of the same name (the parser's path).
    mutating func append(_ name: String, _ value: JSONValue) { members.append(Member(name: name, value: value)) }
}
