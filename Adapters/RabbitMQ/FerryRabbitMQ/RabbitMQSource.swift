import Ferry
import Foundation
import Logging

/// A consumer on a group's queue, as the core's `MessageSource`. The connection lives on its
/// own executor; after a connection loss it reconnects with backoff, re-declares the topology
/// and consumes again. Deliveries of a lost connection cannot be acked any more: the broker
/// hands them out again, so their settlement is dropped (at-least-once).
final class RabbitMQSource: FetchingSource, @unchecked Sendable {
    // @unchecked: `link` is only touched on `executor`; it and `acks` are set once, in init.
    private let endpoint: AMQPEndpoint
    private let queue: String
    private let topology: AMQPTopology
    private let options: SubscribeOptions
    private let logger: Logger
    /// The endpoint as plain messages' source and dead-letter records name it (made once: it is
    /// needed for every message).
    private let sourceName: String
    private let executor = BlockingExecutor(label: "ferry.amqp.consumer")
    let state = Locked(RabbitMQConsumerState())
    var fetchExecutor: BlockingExecutor { executor }
    /// One confirming connection for every retry and dead letter of this consumer.
    private let publisher: RabbitMQPublisher
    private var link: Reconnecting<AMQPConnection>!
    /// Acks are written at the start of each fetch, all that came in meanwhile at once (or
    /// after 5 ms when no fetch comes).
    private var acks: Coalescer<(tag: UInt64, generation: Int), Void>!
    /// Where a subscription to a stream queue is; nil for other queues.
    private let cursor: Locked<AMQPStreamCursor>?

    /// Headers RabbitMQ adds when it dead-letters or redelivers; not part of the event.
    private static let brokerHeaders = ["x-death", "x-first-death-", "x-last-death-", "x-delivery-count", AMQPStreamCursor.header]

    init(
        endpoint: AMQPEndpoint, queue: String, topology: AMQPTopology, options: SubscribeOptions, logger: Logger,
        cursor: AMQPStreamCursor? = nil
    ) {
        self.endpoint = endpoint
        sourceName = endpoint.endpoint.description
        self.queue = queue
        self.topology = topology
        self.options = options
        self.logger = logger
        publisher = RabbitMQPublisher(endpoint: endpoint, logger: logger)
        let cursor = cursor.map { Locked($0) }
        self.cursor = cursor
        link = Reconnecting("RabbitMQ consumer of queue '\(queue)' at \(endpoint.location)", logger: logger) { () throws(FerryError) in
            let fresh = try AMQPConnection(endpoint, confirms: false)
            try topology.declare(on: fresh)
            try fresh.consume(
                queue: queue, prefetch: options.prefetch, consumerTag: options.consumer,
                arguments: cursor?.withLock { $0.arguments } ?? [])
            return fresh
        }
        acks = Coalescer(executor: executor, limit: 65_536, delay: .milliseconds(5)) { [weak self] tags in
            self?.acknowledgeBlocking(tags) ?? tags.map { _ in () }  // gone: so is its connection
        }
    }

    /// Connects once now, so a wrong URL or refused login fails the subscribe call itself.
    func start() async throws {
        try await executor.run { [self] () throws in try link.run { _ in } }
        // From the connection's own thread: a cooperative pool kept busy by the service cannot
        // make the broker drop a consumer whose handler is slow.
        executor.keepAlive(endpoint) { [weak self] in
            guard let self, !state.withLock({ $0.closed }) else { return false }
            link.sendHeartbeat()
            return true
        }
    }

    func close() async {
        state.withLock { $0.close() }
        await executor.run { [self] in
            acks.drain()
            link.drop()  // unacked deliveries go back to the queue
        }
        await publisher.close()
    }

    /// Up to `prefetch` deliveries: waits up to 100 ms for the first (2 ms while acks may come),
    /// takes the rest only if already read. Runs on `executor`.
    func fetch() -> [(delivered: AMQPDelivered, generation: Int)] {
        guard !state.withLock({ $0.closed }) else { return [] }
        acks.drain()
        do throws(FerryError) {
            let batch = try link.run { connection throws(FerryError) in
                guard let first = try connection.receive(timeout: state.withLock { $0.fetchWait }) else { return [AMQPDelivered]() }
                var batch = [first]
                while batch.count < options.prefetch, connection.hasBuffered, let next = try connection.receive(timeout: .zero) {
                    batch.append(next)
                }
                return batch
            }
            return passingOverEarlier(batch).map { ($0, link.generation) }
        } catch {
            link.backOff(after: error)
            return []
        }
    }

    /// On a stream, records each delivery's offset and acknowledges unseen those before a
    /// start time. Runs on `executor`.
    private func passingOverEarlier(_ batch: [AMQPDelivered]) -> [AMQPDelivered] {
        guard let cursor else { return batch }
        return batch.filter { delivered in
            guard let offset = AMQPStreamCursor.offset(of: delivered) else { return true }
            let early = cursor.withLock { cursor in
                cursor.deliver(offset) {
                    let decoded = AMQPWireFormat.decode(delivered.message, position: Position(destination: queue, offset: ""), source: "")
                    return try? decoded.get().event.timeMicros
                }
            }
            if early { acks.enqueue((delivered.deliveryTag, link.generation)) }
            return !early
        }
    }

    func inbound(_ fetched: (delivered: AMQPDelivered, generation: Int)) -> Inbound {
        let (delivered, deliveryGeneration) = fetched
        let offset = cursor == nil ? nil : AMQPStreamCursor.offset(of: delivered)
        var message = delivered.message
        var retry: [String: String] = [:]
        for name in message.headers.keys {
            if RetryHeaders.contains(name) {
                retry[name] = message.headers.removeValue(forKey: name)
            } else if Self.brokerHeaders.contains(where: { name.hasPrefix($0) }) {
                message.headers.removeValue(forKey: name)
            }
        }
        let original = message
        let position = Position(destination: queue, offset: offset.map { String($0) } ?? String(delivered.deliveryTag))
        let carried = RetryHeaders.read(retry)
        let origin = carried.origin ?? position
        let envelope = AMQPWireFormat.decode(message, position: origin, source: sourceName, limits: options.limits)
        let eventID = (try? envelope.get().event.id) ?? origin.description
        return Inbound(
            envelope: envelope, attempt: (carried.attempt ?? 1) + (delivered.redelivered ? 1 : 0), position: position,
            origin: origin, firstFailureMicros: carried.firstFailureMicros
        ) { [self] settlement in
            switch settlement {
            case .ack:
                break
            case .retry(let redelivery):
                var copy = original
                copy.headers.merge(redelivery.headers) { $1 }
                _ = try await publisher.publish([(eventID, copy)], to: retryQueue(for: redelivery.delay))[0].get()
            case .deadLetter(let headers):
                var copy = original
                copy.headers.merge(headers) { $1 }
                _ = try await publisher.publish([(eventID, copy)], to: AMQPTopology.Queue(name: endpoint.deadLetterQueue))[0].get()
            }
            state.withLock { $0.settled() }
            if let offset { cursor?.withLock { $0.settle(offset) } }
            acks.enqueue((delivered.deliveryTag, deliveryGeneration))
        }
    }

    /// Writes the acks of the current connection; those of a lost one are dropped, since
    /// RabbitMQ hands their messages out again. Runs on `executor`.
    private func acknowledgeBlocking(_ tags: [(tag: UInt64, generation: Int)]) -> [Void] {
        for (tag, generation) in tags {
            guard generation == link.generation, let connection = link.current else { continue }
            do {
                try connection.ack(tag)
            } catch {
                link.drop()
                logger.warning(
                    "ack lost with the connection; the message will be redelivered", metadata: ["queue": "\(queue)", "error": "\(error)"])
            }
        }
        return tags.map { _ in () }
    }

    /// The delay queue of `delay`'s bucket: its messages expire after the bucket's delay and
    /// are dead-lettered back to this group's queue.
    private func retryQueue(for delay: Duration) -> AMQPTopology.Queue {
        let bucket = RetryDelayBuckets.bucket(for: delay)
        return AMQPTopology.Queue(
            name: "\(queue).retry.\(bucket)",
            arguments: [
                ("x-message-ttl", .long(bucket)), ("x-dead-letter-exchange", .string("")), ("x-dead-letter-routing-key", .string(queue)),
            ])
    }
}
