import Foundation

/// A declarative change from one event version to the next, stored beside the schema
/// (`Config/schemas/<type>/v<N>.upcast.json`, an array of steps) so that any process, the
/// relay included, can upcast without code.
public enum UpcastStep: Sendable, Hashable {
    /// Adds a field with a default when it is absent.
    case add(path: [String], value: JSONValue)
    case rename(from: [String], to: [String])
    case remove(path: [String])
    /// Sets a field to a constant, present or not.
    case set(path: [String], value: JSONValue)

    /// Reads `{"op":"add"|"rename"|"remove"|"set", "path":"a.b", "from":..., "to":..., "value":...}`.
    public init(json: Any, place: String) throws(FerryError) {
        guard let object = json as? [String: Any], let op = object["op"] as? String else {
            throw FerryError(.invalidEvent, "\(place): an upcast step is an object with an 'op'")
        }
        func path(_ key: String) throws(FerryError) -> [String] {
            guard let text = object[key] as? String, !text.isEmpty else {
                throw FerryError(.invalidEvent, "\(place): '\(op)' needs a '\(key)' (a dotted field path)")
            }
            return text.split(separator: ".").map(String.init)
        }
        func value() throws(FerryError) -> JSONValue {
            guard let value = object["value"] else { throw FerryError(.invalidEvent, "\(place): '\(op)' needs a 'value'") }
            return JSONValue(any: value)
        }
        switch op {
        case "add": self = .add(path: try path("path"), value: try value())
        case "rename": self = .rename(from: try path("from"), to: try path("to"))
        case "remove": self = .remove(path: try path("path"))
        case "set": self = .set(path: try path("path"), value: try value())
        default: throw FerryError(.invalidEvent, "\(place): unknown upcast op '\(op)' (use add, rename, remove or set)")
        }
    }

    /// Applies the step to a JSON object.
    func apply(to object: inout JSONObject) throws(FerryError) {
        switch self {
        case .add(let path, let value):
            if Self.get(object, path) == nil { try Self.put(&object, path, value) }
        case .set(let path, let value):
            try Self.put(&object, path, value)
        case .remove(let path):
            try Self.put(&object, path, nil)
        case .rename(let from, let to):
            if let value = Self.get(object, from) {
                try Self.put(&object, from, nil)
                try Self.put(&object, to, value)
            }
        }
    }

    private static func get(_ object: JSONObject, _ path: [String]) -> JSONValue? {
        guard let head = path.first, let value = object[head] else { return nil }
        if path.count == 1 { return value }
        guard case .object(let child) = value else { return nil }
        return get(child, Array(path.dropFirst()))
    }

    private static func put(_ object: inout JSONObject, _ path: [String], _ value: JSONValue?) throws(FerryError) {
        guard let head = path.first else { return }
        if path.count == 1 {
            object[head] = value
            return
        }
        var child = JSONObject()
        switch object[head] {
        case nil: break
        case .object(let existing)?: child = existing
        case _?: throw FerryError(.invalidEvent, "upcast: '\(head)' is not an object, cannot reach \(path.joined(separator: "."))")
        }
        try put(&child, Array(path.dropFirst()), value)
        object[head] = .object(child)
    }
}
