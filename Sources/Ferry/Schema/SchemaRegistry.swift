import Foundation

/// The schemas a process knows, plus upcasters written in Swift: validates events and turns
/// older versions into the one a consumer reads.
public final class SchemaRegistry: Sendable {
    public typealias Upcaster = @Sendable ([String: Any]) throws -> [String: Any]

    public let catalog: SchemaCatalog
    private let upcasters = Locked<[String: Upcaster]>([:])

    public init(catalog: SchemaCatalog = SchemaCatalog()) {
        self.catalog = catalog
    }

    /// Registers the step from `version` to `version + 1` of `type`, in code.
    public func register(type: String, from version: Int, _ upcaster: @escaping Upcaster) {
        upcasters.withLock { $0["\(type)#\(version)"] = upcaster }
    }

    /// `event` checked against its schema and, when `target` is above its version, upcast to
    /// `target` (code upcasters first, then the catalog's declarative steps). Events of types the
    /// registry does not know pass unchanged unless a target version is asked for.
    public func prepare(_ event: Event, to target: Int? = nil) throws(FerryError) -> Event {
        let version = event.dataversion ?? 1
        let known = catalog.versions[event.type] != nil
        guard known || target != nil else { return event }
        if known, catalog.schema(of: event.type, version: version) == nil {
            throw FerryError(
                .schemaViolation,
                "event \(event.id): \(event.type) version \(version) is unknown (known: \(catalog.versions[event.type]!.keys.sorted().map { "v\($0)" }.joined(separator: ", ")))"
            )
        }
        let goal = target ?? version
        guard version <= goal else {
            throw FerryError(
                .schemaViolation, "event \(event.id): \(event.type) v\(version) is newer than v\(goal), which this consumer reads")
        }
        var value: JSONValue
        do {
            value = try JSONValue(parsing: event.data)
        } catch {
            throw FerryError(.payloadDecoding, "event \(event.id) of type \(event.type): data is \(error.message)")
        }
        try validate(value, event, version)
        guard version < goal else { return event }
        for step in version..<goal {
            guard case .object(var fields) = value else {
                throw FerryError(.schemaViolation, "event \(event.id): only JSON objects can be upcast")
            }
            if let upcaster = upcasters.withLock({ $0["\(event.type)#\(step)"] }) {
                do { fields = try Self.object(upcaster(fields.anyMembers)) } catch {
                    throw FerryError(
                        .schemaViolation, "event \(event.id): upcasting \(event.type) v\(step) to v\(step + 1) failed: \(error)")
                }
            } else if let declared = catalog.versions[event.type]?[step + 1], !declared.upcast.isEmpty {
                for change in declared.upcast { try change.apply(to: &fields) }
            } else {
                throw FerryError(
                    .schemaViolation, "event \(event.id): no upcaster from \(event.type) v\(step) to v\(step + 1)",
                    remedy: "register one in code, or add v\(step + 1).upcast.json beside the schema")
            }
            value = .object(fields)
        }
        try validate(value, event, goal)
        var upcast = event
        upcast.dataversion = goal
        // The catalog's file for the new version, relative to the catalog directory.
        upcast.dataschema = "\(event.type)/v\(goal).json"
        upcast.data = value.data
        return upcast
    }

    private static func object(_ fields: [String: Any]) -> JSONObject {
        guard case .object(let object) = JSONValue(any: fields) else { return JSONObject() }
        return object
    }

    private func validate(_ value: JSONValue, _ event: Event, _ version: Int) throws(FerryError) {
        guard let schema = catalog.schema(of: event.type, version: version), !schema.accepts(value) else { return }
        let found = schema.violations(of: value)
        guard found.isEmpty else {
            throw FerryError(
                .schemaViolation, "event \(event.id) does not match \(event.type) v\(version): " + found.prefix(5).joined(separator: "; "))
        }
    }
}
