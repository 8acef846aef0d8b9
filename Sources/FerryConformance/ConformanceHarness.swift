import Ferry
import Foundation

/// What the suite needs to know about a backend: the transport, and how to name a fresh
/// destination on it (each case gets its own, so cases cannot disturb each other).
public struct ConformanceHarness: Sendable {
    public var transport: any Transport
    /// Turns a unique name into an endpoint URL of this backend, with any query it needs.
    public var endpoint: @Sendable (_ name: String) throws -> Endpoint
    /// Like `endpoint`, for a destination that keeps what it took for every reader, so a
    /// group can start at a time or an offset (on RabbitMQ, a stream queue).
    public var historyEndpoint: @Sendable (_ name: String) throws -> Endpoint
    /// The longest any single expected message may take to arrive.
    public var timeout: Duration

    public init(
        transport: any Transport, timeout: Duration = .seconds(30),
        history: (@Sendable (_ name: String) throws -> Endpoint)? = nil,
        endpoint: @escaping @Sendable (_ name: String) throws -> Endpoint
    ) {
        self.transport = transport
        self.timeout = timeout
        self.endpoint = endpoint
        historyEndpoint = history ?? endpoint
    }

    /// A new destination, provisioned with `partitions`, that no other case uses.
    public func freshEndpoint(_ label: String, partitions: Int = 3) async throws -> Endpoint {
        let name = "ferry-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        let endpoint = try endpoint(name)
        try await transport.provision(endpoint, partitions: partitions)
        return endpoint
    }

    /// What most cases start with: a fresh destination, one group subscribed to it (before
    /// anything is published, as RabbitMQ needs), and a publisher. Close both with `close`.
    public func fixture(
        _ label: String, partitions: Int = 3, limits: MessageLimits = MessageLimits()
    ) async throws -> (Endpoint, Subscription, any Publisher) {
        let endpoint = try await freshEndpoint(label, partitions: partitions)
        let subscription = try await transport.subscribe(
            to: endpoint, options: SubscribeOptions(group: uniqueGroup(label), limits: limits))
        return (endpoint, subscription, try await transport.makePublisher(for: endpoint))
    }

    /// Closes a case's subscription and publisher in the background (for a `defer`).
    public func close(_ subscription: Subscription, _ publisher: any Publisher) {
        Task {
            await subscription.close()
            await publisher.close()
        }
    }

    public func uniqueGroup(_ label: String) -> String {
        "group-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
