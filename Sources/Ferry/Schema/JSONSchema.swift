import Foundation

/// The part of JSON Schema Ferry validates events against and reasons about for
/// compatibility: `type`, `properties`, `required`, `enum`, `items`, `additionalProperties`.
/// Other keywords are kept out of the model (and so neither checked nor compared).
public struct JSONSchema: Sendable, Hashable {
    /// Allowed JSON types; empty means any. `integer` is a kind of `number`.
    public var types: Set<String>
    public var properties: [String: JSONSchema]
    public var required: Set<String>
    /// Allowed values, as canonical JSON text; nil means any.
    public var enumeration: Set<String>?
    /// The schema of array elements (stored in an array: a struct cannot contain itself).
    public var items: JSONSchema? {
        get { itemStorage.first }
        set { itemStorage = newValue.map { [$0] } ?? [] }
    }
    private var itemStorage: [JSONSchema] = []
    public var additionalProperties: AdditionalProperties

    public init(
        types: Set<String> = [], properties: [String: JSONSchema] = [:], required: Set<String> = [],
        enumeration: Set<String>? = nil, items: JSONSchema? = nil, additionalProperties: AdditionalProperties = .allowed
    ) {
        self.types = types
        self.properties = properties
        self.required = required
        self.enumeration = enumeration
        self.additionalProperties = additionalProperties
        self.items = items
    }

    static let knownTypes: Set<String> = ["object", "array", "string", "integer", "number", "boolean", "null"]

    /// Reads a schema document; `place` (a file, a key path) names it in errors.
    public init(json: Any, place: String) throws(FerryError) {
        guard let object = json as? [String: Any] else {
            throw FerryError(.invalidEvent, "\(place): a schema must be a JSON object")
        }
        switch object["type"] {
        case nil: types = []
        case let single as String: types = [single]
        case let many as [String]: types = Set(many)
        default: throw FerryError(.invalidEvent, "\(place): 'type' must be a string or an array of strings")
        }
        if let unknown = types.subtracting(Self.knownTypes).first {
            throw FerryError(.invalidEvent, "\(place): unknown type '\(unknown)'")
        }
        properties = [:]
        if let declared = object["properties"] {
            guard let map = declared as? [String: Any] else { throw FerryError(.invalidEvent, "\(place): 'properties' must be an object") }
            for (name, schema) in map { properties[name] = try JSONSchema(json: schema, place: "\(place).properties.\(name)") }
        }
        guard let names = (object["required"] ?? [String]()) as? [String] else {
            throw FerryError(.invalidEvent, "\(place): 'required' must be an array of strings")
        }
        required = Set(names)
        if let values = object["enum"] {
            guard let list = values as? [Any] else { throw FerryError(.invalidEvent, "\(place): 'enum' must be an array") }
            enumeration = Set(list.map(JSONSchema.canonical))
        } else {
            enumeration = nil
        }
        switch object["additionalProperties"] {
        case nil: additionalProperties = .allowed
        case let flag as Bool where flag: additionalProperties = .allowed
        case let flag as Bool where !flag: additionalProperties = .forbidden
        case let schema?: additionalProperties = .schema(try JSONSchema(json: schema, place: "\(place).additionalProperties"))
        }
        if let itemSchema = object["items"] { items = try JSONSchema(json: itemSchema, place: "\(place).items") }
    }

    /// Every way `value` (as JSONSerialization gives it) breaks the schema; empty when valid.
    public func violations(of value: Any, at path: String = "$") -> [String] {
        violations(of: JSONValue(any: value), at: path)
    }

    /// Whether `value` is valid: the same rules as `violations`, without building paths,
    /// messages or sorted lists, so that a valid event (nearly every one) costs no text.
    public func accepts(_ value: JSONValue) -> Bool {
        if !types.isEmpty, !types.contains(where: value.matches) { return false }
        if let enumeration, !enumeration.contains(value.canonical) { return false }
        switch value {
        case .object(let object):
            for name in required where object[name] == nil { return false }
            for member in object.members {
                if let schema = properties[member.name] {
                    if !schema.accepts(member.value) { return false }
                } else {
                    switch additionalProperties {
                    case .allowed: break
                    case .forbidden: return false
                    case .schema(let schema): if !schema.accepts(member.value) { return false }
                    }
                }
            }
        case .array(let elements):
            if let items, !elements.allSatisfy(items.accepts) { return false }
        default:
            break
        }
        return true
    }

    /// Every way `value` breaks the schema, each with its JSON path; empty when it is valid.
    public func violations(of value: JSONValue, at path: String = "$") -> [String] {
        if !types.isEmpty, !types.contains(where: value.matches) {
            return ["\(path): expected \(types.sorted().joined(separator: " or ")), found \(value.typeName)"]
        }
        if let enumeration, !enumeration.contains(value.canonical) {
            return ["\(path): \(value.canonical) is not one of \(enumeration.sorted().joined(separator: ", "))"]
        }
        var out: [String] = []
        switch value {
        case .object(let object):
            for name in required.sorted() where object[name] == nil { out.append("\(path): required property '\(name)' is missing") }
            for member in object.members.sorted(by: { $0.name < $1.name }) {
                if let schema = properties[member.name] {
                    out += schema.violations(of: member.value, at: "\(path).\(member.name)")
                } else {
                    switch additionalProperties {
                    case .allowed: break
                    case .forbidden: out.append("\(path): property '\(member.name)' is not allowed")
                    case .schema(let schema): out += schema.violations(of: member.value, at: "\(path).\(member.name)")
                    }
                }
            }
        case .array(let elements):
            if let items {
                for (index, element) in elements.enumerated() { out += items.violations(of: element, at: "\(path)[\(index)]") }
            }
        default:
            break
        }
        return out
    }

    /// The text `enum` values are compared by.
    static func canonical(_ value: Any) -> String { JSONValue(any: value).canonical }
}
