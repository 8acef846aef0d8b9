import Logging

/// The deliveries of one group member, as an async sequence.
///
/// A message that is not a readable envelope never reaches the loop: it goes to the
/// dead-letter destination with reason `decode`, and the loop goes on.
public final class Subscription: AsyncSequence, Sendable {
    public typealias Element = Delivery

    public let endpoint: Endpoint
    public let options: SubscribeOptions
    private let source: any MessageSource
    private let transport: any Transport
    private let logger: Logger

    package init(endpoint: Endpoint, options: SubscribeOptions, source: any MessageSource, transport: any Transport, logger: Logger) {
        self.endpoint = endpoint
        self.options = options
        self.source = source
        self.transport = transport
        self.logger = logger
    }

    /// How far this subscription's group is behind, per partition, queue or stream.
    public func lag() async throws -> [LagEntry] {
        try await transport.lag(of: endpoint, group: options.group)
    }

    /// The next delivery, or nil once closed.
    public func next() async throws -> Delivery? {
        while let inbound = try await source.next() {
            if let delivery = await delivery(inbound) { return delivery }
        }
        return nil
    }

    /// The delivery of a decoded message; an undecodable one is dead-lettered instead.
    private func delivery(_ inbound: Inbound) async -> Delivery? {
        switch inbound.envelope {
        case .success(let envelope):
            return Delivery(envelope: envelope, inbound: inbound, endpoint: endpoint)
        case .failure(let error):
            await deadLetterUndecodable(inbound, error)
            return nil
        }
    }

    /// The next delivery, then up to `max - 1` more that are already fetched: a batch that
    /// costs one wait. Empty once closed.
    public func nextBatch(max: Int) async throws -> [Delivery] {
        guard let first = try await next() else { return [] }
        var batch = [first]
        while batch.count < max, let inbound = source.nextIfReady() {
            if let delivery = await delivery(inbound) { batch.append(delivery) }
        }
        return batch
    }

    /// Ends the sequence after what was handed out: `next()` returns nil from now on, and the
    /// deliveries in hand can still be settled. Call `close()` once they are.
    public func stop() { source.stop() }

    /// Leaves the group. Deliveries not settled yet go back to it.
    public func close() async { await source.close() }

    private func deadLetterUndecodable(_ inbound: Inbound, _ error: FerryError) async {
        logger.warning(
            "undecodable message sent to the dead-letter destination",
            metadata: ["endpoint": "\(endpoint)", "position": "\(inbound.handle.position)", "error": "\(error.message)"])
        do {
            let handle = inbound.handle
            try await handle.settle(
                handle.deadLettering(DeadLetterReason(.decode, error.message), attempt: handle.attempt, endpoint: endpoint))
        } catch {
            // Not acked either: the broker keeps it and hands it out again.
            logger.error(
                "could not dead-letter an undecodable message; it stays unacknowledged",
                metadata: ["position": "\(inbound.handle.position)", "error": "\(error)"])
        }
    }

    /// Iterates the deliveries; each `next()` waits for one.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: Subscription
        public mutating func next() async throws -> Delivery? { try await subscription.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(subscription: self) }
}
