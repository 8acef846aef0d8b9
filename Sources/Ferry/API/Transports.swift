/// The transports a program links, looked up by URL scheme.
public struct Transports: Sendable {
    private let all: [any Transport]
    private let byScheme: [String: any Transport]

    public init(_ transports: [any Transport]) {
        all = transports
        var map: [String: any Transport] = [:]
        for transport in transports {
            for scheme in transport.schemes { map[scheme] = transport }
        }
        byScheme = map
    }

    public var schemes: [String] { byScheme.keys.sorted() }

    public func transport(for endpoint: Endpoint) throws(FerryError) -> any Transport {
        guard let transport = byScheme[endpoint.scheme] else {
            throw FerryError(
                .unsupportedScheme, "no transport for '\(endpoint.scheme)://' (endpoint '\(endpoint)')",
                remedy: "use one of: \(schemes.map { $0 + "://" }.joined(separator: ", "))")
        }
        return transport
    }

    /// A publisher to `url` whose confirm latency and confirmed events are recorded
    /// (`ferry_publish_confirm_seconds`, `ferry_events_published`).
    public func publisher(_ url: String) async throws -> any Publisher {
        try await publisher(for: try Endpoint(url))
    }

    public func publisher(for endpoint: Endpoint) async throws -> any Publisher {
        MeteredPublisher(try await transport(for: endpoint).makePublisher(for: endpoint), endpoint: endpoint)
    }

    public func subscribe(_ url: String, options: SubscribeOptions) async throws -> Subscription {
        try await subscribe(to: try Endpoint(url), options: options)
    }

    public func subscribe(to endpoint: Endpoint, options: SubscribeOptions) async throws -> Subscription {
        try await transport(for: endpoint).subscribe(to: endpoint, options: options)
    }

    public func shutdown() async {
        for transport in all { await transport.shutdown() }
    }
}
