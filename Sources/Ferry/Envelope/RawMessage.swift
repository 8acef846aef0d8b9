import Foundation

/// A message as a non-Ferry producer would send it: a body, string headers and an optional key.
///
/// Publishing one bypasses the envelope, which is how tools and tests put structured-mode,
/// plain or malformed messages on a broker.
public struct RawMessage: Sendable, Hashable {
    public var body: Data
    public var headers: [String: String]
    public var contentType: String?
    /// The Kafka record key (and in-memory partition key); ignored where the broker has none.
    public var key: String?

    public init(body: Data, headers: [String: String] = [:], contentType: String? = nil, key: String? = nil) {
        self.body = body
        self.headers = headers
        self.contentType = contentType
        self.key = key
    }
}
