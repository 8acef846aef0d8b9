/// A broker destination written as a URL: `scheme://[user[:password]@]host[:port][,host:port...][/path][?key=value&...]`.
///
/// Each transport documents what the path and query mean for it (see the README). The
/// password is kept for connecting but never printed: `description` masks it.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// One broker address: a name (or IP address) and, when given, a port.
    public struct Host: Sendable, Hashable {
        public var name: String
        public var port: Int?

        public init(name: String, port: Int? = nil) {
            self.name = name
            self.port = port
        }
    }

    public var scheme: String
    public var user: String?
    public var password: String?
    public var hosts: [Host]
    /// The path without its leading `/`, percent-decoded.
    public var path: String
    public var query: [String: String]

    public init(_ text: String) throws(FerryError) {
        func fail(_ why: String) -> FerryError {
            FerryError(
                .invalidEndpoint, "endpoint '\(Endpoint.redacted(text))': \(why)",
                remedy: "write it as scheme://[user:password@]host[:port]/name[?key=value]")
        }
        guard let schemeEnd = text.range(of: "://") else { throw fail("no scheme (expected e.g. kafka://, amqp://, redis://, memory://)") }
        scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" }) else {
            throw fail("scheme '\(scheme)' is not valid")
        }
        var rest = text[schemeEnd.upperBound...]
        var queryText: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var authority = rest
        var pathText: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            pathText = rest[rest.index(after: slash)...]
        }
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = try Endpoint.decode(credentials[..<colon], fail)
                password = try Endpoint.decode(credentials[credentials.index(after: colon)...], fail)
            } else {
                user = try Endpoint.decode(credentials, fail)
            }
        }
        // A file's URL (`sqlite:///path/file.db`) names no host: its path is the file.
        guard !authority.isEmpty || scheme == "sqlite" else { throw fail("no host") }
        hosts = []
        for part in authority.split(separator: ",", omittingEmptySubsequences: false) where !authority.isEmpty {
            var name = part
            var port: Int?
            if part.hasPrefix("[") {  // [::1]:9092
                guard let close = part.firstIndex(of: "]") else { throw fail("unclosed '[' in host '\(part)'") }
                name = part[part.index(after: part.startIndex)..<close]
                let after = part[part.index(after: close)...]
                if after.hasPrefix(":") {
                    guard let number = Int(after.dropFirst()), (1...65535).contains(number) else {
                        throw fail("port '\(after.dropFirst())' is not a number between 1 and 65535")
                    }
                    port = number
                }
            } else if let colon = part.lastIndex(of: ":") {
                name = part[..<colon]
                let digits = part[part.index(after: colon)...]
                guard let number = Int(digits), (1...65535).contains(number) else {
                    throw fail("port '\(digits)' is not a number between 1 and 65535")
                }
                port = number
            }
            guard !name.isEmpty else { throw fail("empty host in '\(authority)'") }
            hosts.append(Host(name: String(name), port: port))
        }
        path = try Endpoint.decode(pathText, fail)
        query = [:]
        for pair in queryText.split(separator: "&") {
            let key: Substring
            let value: Substring
            if let eq = pair.firstIndex(of: "=") {
                key = pair[..<eq]
                value = pair[pair.index(after: eq)...]
            } else {
                key = pair
                value = ""
            }
            query[try Endpoint.decode(key, fail)] = try Endpoint.decode(value, fail)
        }
    }

    /// The URL with the password and secret query values (`isSecret`) replaced by `***`: safe
    /// for logs, error messages and dead-letter headers.
    public var description: String {
        var out = scheme + "://"
        if let user {
            out += Endpoint.encode(user)
            if password != nil { out += ":***" }
            out += "@"
        }
        out += hosts.map { host in
            let name = host.name.contains(":") ? "[\(host.name)]" : host.name
            return host.port.map { "\(name):\($0)" } ?? name
        }.joined(separator: ",")
        if !path.isEmpty { out += "/" + Endpoint.encode(path) }
        if !query.isEmpty {
            out +=
                "?"
                + query.sorted { $0.key < $1.key }.map {
                    "\(Endpoint.encode($0.key))=\(Endpoint.isSecret($0.key) ? "***" : Endpoint.encode($0.value))"
                }
                .joined(separator: "&")
        }
        return out
    }

    /// Scheme, hosts and path only: no user, password or options. For metric labels, where
    /// nothing secret may go and a few values should cover many endpoints.
    public var label: String {
        scheme + "://" + hosts.map { host in host.port.map { "\(host.name):\($0)" } ?? host.name }.joined(separator: ",")
            + (path.isEmpty ? "" : "/" + path)
    }

    /// A copy with another path and some query parameters changed (nil removes one).
    public func with(path newPath: String? = nil, query changes: [String: String?] = [:]) -> Endpoint {
        var copy = self
        if let newPath { copy.path = newPath }
        for (key, value) in changes { copy.query[key] = value }
        return copy
    }

    /// A whole-number query parameter, with an error that names the key when it is not one.
    public func integer(_ key: String, default fallback: Int? = nil, in range: ClosedRange<Int> = 0...Int.max) throws(FerryError) -> Int? {
        guard let text = query[key] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw FerryError(
                .invalidEndpoint,
                "endpoint '\(self)': query parameter '\(key)=\(text)' is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A duration query parameter in milliseconds (`500`, `500ms`) or seconds (`2s`).
    public func milliseconds(_ key: String, default fallback: Int) throws(FerryError) -> Int {
        guard let text = query[key] else { return fallback }
        let (digits, scale) =
            text.hasSuffix("ms") ? (text.dropLast(2), 1) : text.hasSuffix("s") ? (text.dropLast(), 1000) : (Substring(text), 1)
        guard let value = Int(digits), value >= 0, case (let millis, false) = value.multipliedReportingOverflow(by: scale),
            millis <= Endpoint.longestMilliseconds
        else {
            throw FerryError(
                .invalidEndpoint,
                "endpoint '\(self)': query parameter '\(key)=\(text)' is not a duration such as 500ms or 2s, of at most 365 days")
        }
        return millis
    }

    /// `publish-timeout` (default 30s): how long a publish may take to be confirmed, reconnects
    /// and retries included, on every broker. Past it, the publish fails with the last error.
    package func publishTimeout() throws(FerryError) -> Duration {
        .milliseconds(max(1, try milliseconds("publish-timeout", default: 30_000)))
    }

    /// The longest duration a query parameter may give: a year, far beyond any sensible wait,
    /// and far below what the arithmetic on it could overflow.
    package static let longestMilliseconds = 365 * 86_400_000

    /// Whether a query parameter holds a secret (librdkafka's `sasl.password`,
    /// `ssl.key.password`, `sasl.oauthbearer.client.secret`, a token): its value is masked like
    /// the password wherever the endpoint is printed.
    package static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return ["password", "secret", "token", "credential", "passphrase", "key.pem", "keystore"].contains { key.contains($0) }
    }

    /// `text` with its password and secret query values masked, for messages about URLs that
    /// may not even parse.
    public static func redacted(_ text: String) -> String {
        guard text.contains("://") else { return text }
        // The part before `?` has the password; the query, secret values.
        let question = text.firstIndex(of: "?") ?? text.endIndex
        var head = String(text[..<question])
        if let schemeEnd = head.range(of: "://") {
            let rest = head[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                head = String(head[...colon]) + "***" + String(rest[at...])
            }
        }
        guard question < text.endIndex else { return head }
        let pairs = text[text.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map {
            (pair: Substring) -> String in
            guard let equals = pair.firstIndex(of: "="), isSecret(String(pair[pair.startIndex..<equals])) else { return String(pair) }
            return String(pair[pair.startIndex...equals]) + "***"
        }
        return head + "?" + pairs.joined(separator: "&")
    }

    private static func decode(_ text: Substring, _ fail: (String) -> FerryError) throws(FerryError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        while i < utf8.endIndex {
            if utf8[i] == UInt8(ascii: "%") {
                let h = utf8.index(after: i)
                guard h < utf8.endIndex, utf8.index(after: h) < utf8.endIndex,
                    let value = UInt8(String(decoding: utf8[h...utf8.index(after: h)], as: UTF8.self), radix: 16)
                else { throw fail("bad percent-escape in '\(text)'") }
                bytes.append(value)
                i = utf8.index(h, offsetBy: 2)
            } else {
                bytes.append(utf8[i])
                i = utf8.index(after: i)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `text` percent-encoded but for unreserved characters: safe anywhere in a URL.
    package static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
                out.append(c)
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
