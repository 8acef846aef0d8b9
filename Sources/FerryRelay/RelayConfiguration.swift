import Ferry
import Foundation
import Yams

/// `ferry relay --config <file>`: see Config/relay.example.yaml, which documents each key.
public struct RelayConfiguration: Sendable {
    public var routes: [RouteConfiguration]
    /// Where copied events are remembered: memory://, sqlite:///path or redis://host:port/prefix.
    public var idempotency: String
    /// The schema catalog directory, for validation and upcasting.
    public var schemas: String?

    /// Reads and checks the whole file; the first problem is thrown, naming its key and line.
    public init(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(FerryError) {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw FerryError(.invalidConfiguration, "cannot read the relay configuration '\(file)'", remedy: "check the --config path")
        }
        try self.init(yaml: String(decoding: data, as: UTF8.self), file: file, environment: environment)
    }

    /// Reads configuration text; `file` names it in errors.
    package init(yaml: String, file: String, environment: [String: String]) throws(FerryError) {
        try ConfigShape.check(yaml, file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw FerryError(.invalidConfiguration, "\(file): the configuration is empty")
            }
            root = node
        } catch let error as FerryError {
            throw error
        } catch {
            throw FerryError(.invalidConfiguration, "\(file): not valid YAML: \(error)")
        }
        try self.init(ConfigNode(node: root, path: "", file: file, environment: environment))
    }

    init(_ root: ConfigNode) throws(FerryError) {
        let top = try root.mapping(allowed: ["routes", "idempotency", "schemas"])
        idempotency = try top["idempotency"]?.string() ?? "memory://"
        schemas = try top["schemas"]?.string()
        guard let list = top["routes"] else { throw root.fail("no 'routes': name at least one route") }
        routes = []
        for node in try list.sequence() { routes.append(try Self.route(node, index: routes.count)) }
        guard !routes.isEmpty else { throw list.fail("no routes") }
        var names = Set<String>()
        for route in routes where !names.insert(route.name).inserted {
            throw list.fail("two routes are named '\(route.name)'")
        }
    }

    static func route(_ node: ConfigNode, index: Int) throws(FerryError) -> RouteConfiguration {
        let keys = try node.mapping(allowed: [
            "name", "source", "group", "sinks", "types", "subject-prefix", "upcast-to", "max-hops", "in-flight", "read-ahead", "retry",
            "dedup-retention", "limits",
        ])
        guard let source = keys["source"] else { throw node.fail("a route needs a 'source' endpoint") }
        guard let sinkList = keys["sinks"] else { throw node.fail("a route needs 'sinks': one or more endpoints") }
        let sinks = try sinkList.sequence().map { (sink) throws(FerryError) -> Endpoint in try sink.endpoint() }
        guard !sinks.isEmpty else { throw sinkList.fail("a route needs at least one sink") }
        var retry = RetryPolicy()
        if let retryNode = keys["retry"] {
            let settings = try retryNode.mapping(allowed: ["max-attempts", "initial-delay", "max-delay", "multiplier"])
            if let value = settings["max-attempts"] { retry.maxAttempts = try value.integer(in: 1...1000) }
            if let value = settings["initial-delay"] { retry.initialDelay = try value.duration() }
            if let value = settings["max-delay"] { retry.maxDelay = try value.duration() }
            if let value = settings["multiplier"] { retry.multiplier = Double(try value.integer(in: 1...10)) }
        }
        var limits = MessageLimits()
        if let limitsNode = keys["limits"] {
            let settings = try limitsNode.mapping(allowed: ["max-bytes", "max-headers", "max-nesting"])
            if let value = settings["max-bytes"] { limits.maxBytes = try value.integer(in: 1...(1 << 30)) }
            if let value = settings["max-headers"] { limits.maxHeaders = try value.integer(in: 1...100_000) }
            if let value = settings["max-nesting"] { limits.maxNesting = try value.integer(in: 1...32) }
        }
        let name = try keys["name"]?.string() ?? "route-\(index + 1)"
        return RouteConfiguration(
            name: name,
            source: try source.endpoint(),
            group: try keys["group"]?.string() ?? "ferry-relay-\(name)",
            sinks: sinks,
            types: Set(try keys["types"]?.sequence().map { (type) throws(FerryError) -> String in try type.string() } ?? []),
            subjectPrefix: try keys["subject-prefix"]?.string(),
            upcastTo: try keys["upcast-to"]?.integer(in: 1...1_000_000),
            maxHops: try keys["max-hops"]?.integer(in: 1...100) ?? 5,
            inFlight: try keys["in-flight"]?.integer(in: 1...100_000) ?? 256,
            readAhead: try keys["read-ahead"]?.integer(in: 1...10_000_000) ?? RouteConfiguration.defaultReadAhead,
            retry: retry,
            dedupRetention: try keys["dedup-retention"]?.duration() ?? RouteConfiguration.defaultDedupRetention,
            limits: limits)
    }
}
