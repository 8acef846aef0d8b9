/// Whether data written with one schema is accepted by a reader of another, with each
/// incompatible change named.
public enum SchemaCompatibility {
    /// The changes that make `newer` incompatible with `older` under `mode`.
    public static func problems(older: JSONSchema, newer: JSONSchema, mode: CompatibilityMode) -> [String] {
        var out: [String] = []
        if mode.checksBackward {
            out += readerRejects(reader: newer, writer: older, path: "$").map { "new readers cannot read old events: \($0)" }
        }
        if mode.checksForward {
            out += readerRejects(reader: older, writer: newer, path: "$").map { "old readers cannot read new events: \($0)" }
        }
        return out
    }

    /// What `writer` may produce that `reader` refuses.
    static func readerRejects(reader: JSONSchema, writer: JSONSchema, path: String) -> [String] {
        var out: [String] = []
        if !reader.types.isEmpty {
            let written = writer.types.isEmpty ? JSONSchema.knownTypes : writer.types
            let accepted = reader.types.contains("number") ? reader.types.union(["integer"]) : reader.types
            let refused = written.subtracting(accepted)
            if !refused.isEmpty {
                out.append(
                    "\(path): type \(refused.sorted().joined(separator: "/")) is written but only \(reader.types.sorted().joined(separator: "/")) is read"
                )
            }
        }
        if let allowed = reader.enumeration {
            if let written = writer.enumeration {
                let missing = written.subtracting(allowed)
                if !missing.isEmpty {
                    out.append("\(path): enum value(s) \(missing.sorted().joined(separator: ", ")) are no longer accepted")
                }
            } else {
                out.append("\(path): an enum restricts values that were free")
            }
        }
        for name in reader.required.subtracting(writer.required).sorted() {
            out.append("\(path).\(name): required but \(writer.properties[name] == nil ? "absent from" : "optional in") the other version")
        }
        for (name, written) in writer.properties.sorted(by: { $0.key < $1.key }) {
            if let read = reader.properties[name] {
                out += readerRejects(reader: read, writer: written, path: "\(path).\(name)")
            } else if reader.additionalProperties == .forbidden {
                out.append("\(path).\(name): written but not allowed by the other version (additionalProperties false)")
            } else if case .schema(let extra) = reader.additionalProperties {
                out += readerRejects(reader: extra, writer: written, path: "\(path).\(name)")
            }
        }
        if reader.additionalProperties == .forbidden, writer.additionalProperties != .forbidden {
            out.append("\(path): extra properties are allowed in the other version but forbidden here")
        }
        if let read = reader.items {
            out += readerRejects(reader: read, writer: writer.items ?? JSONSchema(), path: "\(path)[]")
        }
        return out
    }
}
