import Ferry
import Foundation
import Yams

/// A YAML node with its key path and line, so every configuration error can say where it is.
/// `${NAME}` and `${file:/path}` in a scalar are replaced (`SecretSubstitution`).
struct ConfigNode {
    let node: Node
    let path: String
    let file: String
    let environment: [String: String]

    var location: String { "\(file):\(node.mark?.line ?? 0): \(path.isEmpty ? "(top level)" : path)" }

    func fail(_ message: String) -> FerryError {
        FerryError(.invalidConfiguration, "\(location): \(message)")
    }

    /// The mapping's children by key; any key not in `allowed` is an error naming it.
    func mapping(allowed: Set<String>) throws(FerryError) -> [String: ConfigNode] {
        guard let mapping = node.mapping else { throw fail("expected a mapping (key: value lines)") }
        var out: [String: ConfigNode] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw fail("keys must be strings") }
            let child = ConfigNode(node: value, path: path.isEmpty ? name : "\(path).\(name)", file: file, environment: environment)
            guard allowed.contains(name) else {
                throw ConfigNode(node: key, path: child.path, file: file, environment: environment)
                    .fail("unknown key '\(name)' (known: \(allowed.sorted().joined(separator: ", ")))")
            }
            out[name] = child
        }
        return out
    }

    func sequence() throws(FerryError) -> [ConfigNode] {
        guard let items = node.sequence else { throw fail("expected a list") }
        return items.enumerated().map { ConfigNode(node: $1, path: "\(path)[\($0)]", file: file, environment: environment) }
    }

    func string() throws(FerryError) -> String {
        guard let scalar = node.scalar else { throw fail("expected a text value") }
        return try substitute(scalar.string, forURL: false)
    }

    func integer(in range: ClosedRange<Int>) throws(FerryError) -> Int {
        guard let value = Int(try string()), range.contains(value) else {
            throw fail("expected a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// `250ms`, `2s`, `1m`, `6h`, `7d`.
    func duration() throws(FerryError) -> Duration {
        let text = try string()
        for (suffix, scale) in [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)] where text.hasSuffix(suffix) {
            if let number = Int(text.dropLast(suffix.count)), number >= 0,
                case (let millis, false) = number.multipliedReportingOverflow(by: scale), millis <= Endpoint.longestMilliseconds
            {
                return .milliseconds(millis)
            }
        }
        throw fail("expected a duration such as 250ms, 2s, 1m, 6h or 7d, of at most 365 days, not '\(text)'")
    }

    func endpoint() throws(FerryError) -> Endpoint {
        guard let scalar = node.scalar else { throw fail("expected a text value") }
        let text = try substitute(scalar.string, forURL: true)
        do {
            return try Endpoint(text)
        } catch {
            throw fail(error.description)
        }
    }

    private func substitute(_ text: String, forURL: Bool) throws(FerryError) -> String {
        do {
            return try SecretSubstitution.apply(text, forURL: forURL, environment: environment)
        } catch {
            throw fail(error.description)
        }
    }
}
