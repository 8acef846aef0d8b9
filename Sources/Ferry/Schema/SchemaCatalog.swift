import Foundation

/// Event schemas by type and version, as kept on disk:
/// `<dir>/<EventType>/v<N>.json` (JSON Schema), optionally `v<N>.upcast.json` (the steps from
/// version N-1 to N) and `compatibility` (a mode name; BACKWARD when absent).
public struct SchemaCatalog: Sendable {
    /// One version of an event type: its schema and the upcast steps that lead to it.
    public struct Version: Sendable {
        public var number: Int
        public var schema: JSONSchema
        /// Steps from the previous version to this one.
        public var upcast: [UpcastStep]
        public var file: String
    }

    public private(set) var versions: [String: [Int: Version]] = [:]
    public private(set) var modes: [String: CompatibilityMode] = [:]

    public init() {}

    public init(directory: String) throws(FerryError) {
        let manager = FileManager.default
        guard let types = try? manager.contentsOfDirectory(atPath: directory) else {
            throw FerryError(.invalidEndpoint, "cannot read the schema directory '\(directory)'", remedy: "check the path")
        }
        for type in types.sorted() {
            let folder = (directory as NSString).appendingPathComponent(type)
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else { continue }
            for file in (try? manager.contentsOfDirectory(atPath: folder))?.sorted() ?? [] {
                let path = (folder as NSString).appendingPathComponent(file)
                if file == "compatibility" {
                    let text = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                    guard let mode = CompatibilityMode(rawValue: text.uppercased()) else {
                        throw FerryError(
                            .invalidEvent, "\(path): '\(text)' is not a compatibility mode",
                            remedy: "use one of \(CompatibilityMode.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    modes[type] = mode
                } else if let number = Self.version(file, suffix: ".json") {
                    let schema = try JSONSchema(json: try Self.json(path), place: path)
                    versions[type, default: [:]][number, default: Version(number: number, schema: schema, upcast: [], file: path)].schema =
                        schema
                    versions[type]![number]!.file = path
                } else if let number = Self.version(file, suffix: ".upcast.json") {
                    guard let list = try Self.json(path) as? [Any] else {
                        throw FerryError(.invalidEvent, "\(path): upcast steps must be an array")
                    }
                    var steps: [UpcastStep] = []
                    for (index, step) in list.enumerated() { steps.append(try UpcastStep(json: step, place: "\(path)[\(index)]")) }
                    versions[type, default: [:]][number, default: Version(number: number, schema: JSONSchema(), upcast: [], file: path)]
                        .upcast = steps
                }
            }
        }
    }

    /// Adds (or replaces) one version in code, after checking it against the earlier ones.
    public mutating func register(
        type: String, version: Int, schema: JSONSchema, upcast: [UpcastStep] = [], mode: CompatibilityMode? = nil
    ) throws(FerryError) {
        if let mode { modes[type] = mode }
        var candidate = self
        candidate.versions[type, default: [:]][version] = Version(
            number: version, schema: schema, upcast: upcast, file: "\(type) v\(version)")
        let found = candidate.problems(of: type)
        guard found.isEmpty else {
            throw FerryError(
                .schemaViolation, "\(type) v\(version) is not \(self.mode(of: type).rawValue) compatible: " + found.joined(separator: "; "))
        }
        self = candidate
    }

    public func mode(of type: String) -> CompatibilityMode { modes[type] ?? .backward }

    public func schema(of type: String, version: Int) -> JSONSchema? { versions[type]?[version]?.schema }

    public func latestVersion(of type: String) -> Int? { versions[type]?.keys.max() }

    /// Every incompatible change between the versions of every type, each naming its files.
    public func problems() -> [String] { versions.keys.sorted().flatMap(problems(of:)) }

    func problems(of type: String) -> [String] {
        let mode = mode(of: type)
        guard mode != .disabled, let all = versions[type] else { return [] }
        let numbers = all.keys.sorted()
        var out: [String] = []
        for (index, number) in numbers.enumerated() where index > 0 {
            let earlier = mode.isTransitive ? Array(numbers[..<index]) : [numbers[index - 1]]
            for previous in earlier {
                for problem in SchemaCompatibility.problems(older: all[previous]!.schema, newer: all[number]!.schema, mode: mode) {
                    out.append("\(type) v\(number) vs v\(previous) (\(mode.rawValue)): \(problem) [\(all[number]!.file)]")
                }
            }
        }
        return out
    }

    private static func version(_ file: String, suffix: String) -> Int? {
        guard file.hasPrefix("v"), file.hasSuffix(suffix) else { return nil }
        return Int(file.dropFirst().dropLast(suffix.count))
    }

    private static func json(_ path: String) throws(FerryError) -> Any {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FerryError(.invalidEvent, "cannot read \(path)")
        }
        do {
            return try JSONSerialization.jsonObject(with: data)
        } catch {
            throw FerryError(.invalidEvent, "\(path) is not valid JSON: \(error.localizedDescription)")
        }
    }
}
