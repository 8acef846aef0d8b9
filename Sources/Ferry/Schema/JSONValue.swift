import Foundation

/// A JSON document as Ferry validates and upcasts event data: numbers keep their text and
/// objects keep their member order, so an upcast changes only what its steps change. Parsing
/// and writing it avoids Foundation's JSONSerialization, which costs tens of microseconds per
/// event on Linux.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number as written (checked against JSON's number grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses a whole document; throws `payloadDecoding` naming the byte where it went wrong.
    public init(parsing data: Data) throws(FerryError) {
        let parsed = data.withUnsafeBytes { bytes in
            Result { () throws(FerryError) in
                var parser = JSONParser(bytes)
                return try parser.document()
            }
        }
        self = try parsed.get()
    }

    /// From what JSONSerialization (or a code upcaster) gives: objects with sorted members.
    public init(any value: Any) {
        switch value {
        case is NSNull: self = .null
        case let text as String: self = .string(text)
        case let number as NSNumber where String(cString: number.objCType) == "c": self = .bool(number.boolValue)
        case let number as NSNumber: self = .number(JSONValue.text(of: number.doubleValue))
        case let list as [Any]: self = .array(list.map(JSONValue.init(any:)))
        case let map as [String: Any]:
            var object = JSONObject()
            for (name, member) in map.sorted(by: { $0.key < $1.key }) { object[name] = JSONValue(any: member) }
            self = .object(object)
        default: self = .string("\(value)")
        }
    }

    /// As JSONSerialization would give it, for code upcasters.
    public var any: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let flag): return flag
        case .number(let text):
            if let integer = Int(text) { return integer }
            return Double(text) ?? 0
        case .string(let text): return text
        case .array(let list): return list.map(\.any)
        case .object(let object): return object.anyMembers
        }
    }

    /// Compact JSON text.
    public var data: Data {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out, sorted: false)
        return Data(out)
    }

    /// The text used to compare values (schema `enum`): sorted members, numbers normalised.
    public var canonical: String {
        var out: [UInt8] = []
        write(into: &out, sorted: true)
        return String(decoding: out, as: UTF8.self)
    }

    /// The JSON Schema type names this value has (`integer` is also a `number`).
    func matches(_ type: String) -> Bool {
        switch (type, self) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let text)): Double(text).map { $0.rounded() == $0 } ?? false
        default: false
        }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: matches("integer") ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private func write(into out: inout [UInt8], sorted: Bool) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let flag): out += (flag ? "true" : "false").utf8
        case .number(let text): out += (sorted ? JSONValue.text(of: Double(text) ?? 0) : text).utf8
        case .string(let text): JSONValue.quote(text, into: &out)
        case .array(let list):
            out.append(UInt8(ascii: "["))
            for (index, element) in list.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out, sorted: sorted)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            let members = sorted ? object.members.sorted { $0.name < $1.name } : object.members
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.quote(member.name, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out, sorted: sorted)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Integral values up to 2^53 without a fraction, others as Swift's shortest form.
    static func text(of number: Double) -> String {
        if number.rounded() == number, abs(number) < 9_007_199_254_740_992 { return String(Int64(number)) }
        return String(number)
    }

    static func quote(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case 0x0A: out += #"\n"#.utf8
            case 0x0D: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += #"\u00"#.utf8
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
