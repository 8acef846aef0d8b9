import Foundation

/// `${NAME}` replaced by the environment variable NAME, `${file:/path}` by the file's content
/// without its final newline (a secret mounted as a file), so that no secret has to be written
/// in a configuration file or on a command line. Inside a URL (`forURL`), a value that is not
/// the whole text is percent-encoded, so a password may hold `/`, `?`, `%` or `@`.
package enum SecretSubstitution {
    /// `text` with every reference replaced; a missing variable or unreadable file is an error
    /// that names it (never a value).
    package static func apply(_ text: String, forURL: Bool, environment: [String: String]) throws(FerryError) -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw FerryError(.invalidConfiguration, "unclosed ${ in the value")
            }
            let name = String(rest[start.upperBound..<end])
            let value: String
            if name.hasPrefix("file:") {
                let path = String(name.dropFirst("file:".count))
                guard let content = FileManager.default.contents(atPath: path) else {
                    throw FerryError(
                        .invalidConfiguration, "cannot read the file \(path) named by ${\(name)}",
                        remedy: "check that it exists and is readable")
                }
                value = String(decoding: content, as: UTF8.self).replacing(/\r?\n$/, with: "")
            } else {
                guard let variable = environment[name] else {
                    throw FerryError(
                        .invalidConfiguration, "environment variable \(name) is not set", remedy: "export it or remove ${\(name)}")
                }
                value = variable
            }
            let whole = out.isEmpty && rest[rest.index(after: end)...].isEmpty
            out += forURL && !whole ? Endpoint.encode(value) : value
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}
