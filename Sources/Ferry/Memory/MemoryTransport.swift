import Foundation
import Logging
import Synchronization

/// `memory://name[?partitions=N&dlq=other]`: a real backend inside the process, with the same
/// semantics as the brokers (groups, redelivery of unacked messages, per-key order, delayed
/// retry, dead letters), for unit tests and the demo. Each instance is its own namespace.
public final class MemoryTransport: Transport {
    public let schemes = ["memory"]
    let state = Mutex(MemoryState())
    let logger: Logger

    public init(logger: Logger = Logger(label: "ferry.memory")) {
        self.logger = logger
    }

    /// The topic an endpoint names, and its partition count.
    func topic(of endpoint: Endpoint) throws(FerryError) -> (name: String, partitions: Int) {
        guard endpoint.scheme == "memory", endpoint.hosts.count == 1, endpoint.path.isEmpty else {
            throw FerryError(.invalidEndpoint, "endpoint '\(endpoint)' is not of the form memory://name[?partitions=N]")
        }
        return (endpoint.hosts[0].name, try endpoint.integer("partitions", default: 4, in: 1...1024)!)
    }

    public func makePublisher(for endpoint: Endpoint) async throws -> any Publisher {
        let (name, partitions) = try topic(of: endpoint)
        return try StructuredPublisher.wrapping(MemoryPublisher(transport: self, topic: name, partitions: partitions), for: endpoint)
    }

    public func subscribe(to endpoint: Endpoint, options: SubscribeOptions) async throws -> Subscription {
        let (name, partitions) = try topic(of: endpoint)
        let dlq = try topic(of: try deadLetterEndpoint(for: endpoint))
        let (member, wakeups) = try state.withLock { state throws(FerryError) in
            try state.join(topic: name, partitions: partitions, options: options)
        }
        wakeups.forEach { $0.resume() }
        let source = MemorySource(
            transport: self, member: member, topic: name, endpoint: endpoint, deadLetter: dlq, limits: options.limits)
        return Subscription(endpoint: endpoint, options: options, source: source, transport: self, logger: logger)
    }

    public func provision(_ endpoint: Endpoint, partitions: Int) async throws {
        let name = try topic(of: endpoint).name
        state.withLock { $0.ensureTopic(name, partitions: max(1, partitions)) }
    }

    public func deadLetterEndpoint(for endpoint: Endpoint) throws -> Endpoint {
        let name = try topic(of: endpoint).name
        var dlq = endpoint.with(query: ["dlq": nil])
        dlq.hosts = [Endpoint.Host(name: endpoint.query["dlq"] ?? "\(name).dlq", port: nil)]
        return dlq
    }

    public func lag(of endpoint: Endpoint, group: String) async throws -> [LagEntry] {
        let name = try topic(of: endpoint).name
        return state.withLock { $0.lag(topic: name, group: group) }
    }

    /// A topic of its own per requester, read by a group of one.
    public func openReplies(near endpoint: Endpoint, id: String, durable: Bool) async throws -> ReplyRoute {
        let address = ReplyAddress.make(id, durable: durable)
        let subscription = try await subscribe(
            to: try replyEndpoint(for: address, near: endpoint), options: SubscribeOptions(group: "requester"))
        return ReplyRoute(address: address, subscription: subscription) { await subscription.close() }
    }

    public func replyEndpoint(for address: String, near endpoint: Endpoint) throws -> Endpoint {
        try Endpoint("memory://\(address)?partitions=1")
    }

    public func shutdown() async {}

    func append(_ record: MemoryRecord, to topic: String, partitions: Int) -> Position {
        let (position, wakeups) = state.withLock { $0.append(record, to: topic, partitions: partitions) }
        wakeups.forEach { $0.resume() }
        return position
    }
}

extension MemoryTransport: Browsable {
    package func browse(
        _ endpoint: Endpoint, group: String, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws {
        let name = try topic(of: endpoint).name
        for (partition, offset, record) in state.withLock({ $0.unsettled(topic: name, group: group) }) {
            let position = Position(destination: name, partition: partition, offset: String(offset))
            let envelope = MemoryWireFormat.decode(record, position: position, source: endpoint.description, limits: limits)
            guard try await body(Browsed(position: position, envelope: envelope)) else { return }
        }
    }

    package func history(
        _ endpoint: Endpoint, from start: SubscribeOptions.Start, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws {
        let name = try topic(of: endpoint).name
        let records = try state.withLock { state throws(FerryError) in try state.history(topic: name, from: start) }
        for (partition, offset, record) in records {
            let position = Position(destination: name, partition: partition, offset: String(offset))
            let envelope = MemoryWireFormat.decode(record, position: position, source: endpoint.description, limits: limits)
            guard try await body(Browsed(position: position, envelope: envelope)) else { return }
        }
    }
}
