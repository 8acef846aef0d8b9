import Ferry
import Foundation
import Logging

/// Publishes with publisher confirms: a batch is written in a pipelined window of unconfirmed
/// messages, then completed from basic.ack / basic.nack / basic.return. Concurrent sends are
/// coalesced into one window. A lost connection is re-opened (with backoff, topology
/// re-declared) and the unconfirmed messages are sent again, until `timeout`.
///
/// A service's publisher sends to its endpoint's exchange and routing key; a consumer's one
/// connection sends each retry to its delay queue and each dead letter to the DLQ, declaring
/// those queues the first time.
final class RabbitMQPublisher: Publisher, @unchecked Sendable {
    // @unchecked: `link`, `topology` and `closed` are only touched on `executor`; `link` and
    // `batches` are set once, in init.
    private struct Item {
        var eventID: String
        var message: AMQPMessage
        var exchange: String
        var routingKey: String
        /// A queue to declare before the first message goes to it.
        var queue: AMQPTopology.Queue?
    }

    private let endpoint: AMQPEndpoint
    private let exchange: String
    private let routingKey: String
    private var topology: AMQPTopology
    private let logger: Logger
    private let executor = BlockingExecutor(label: "ferry.amqp.publisher")
    private let window = 1000
    private let timeout: Duration
    private var link: Reconnecting<AMQPConnection>!
    private var batches: Coalescer<Item, Result<Receipt, FerryError>>!
    private var closed = false

    init(
        endpoint: AMQPEndpoint, exchange: String = "", routingKey: String = "", topology: AMQPTopology = AMQPTopology(), logger: Logger
    ) {
        self.endpoint = endpoint
        self.exchange = exchange
        self.routingKey = routingKey
        self.topology = topology
        self.logger = logger
        timeout = endpoint.publishTimeout
        link = Reconnecting("RabbitMQ publisher at \(endpoint.location)", logger: logger) { [unowned self] () throws(FerryError) in
            let fresh = try AMQPConnection(endpoint, confirms: true)
            try self.topology.declare(on: fresh)
            return fresh
        }
        batches = Coalescer(executor: executor, limit: window) { [weak self] items in
            self?.publishBlocking(items)
                ?? items.map { .failure(FerryError(.publishFailed, "event \($0.eventID) was sent after its publisher was released")) }
        }
        // An idle publisher's connection is kept, not dropped by the broker and reopened.
        executor.keepAlive(endpoint) { [weak self] in
            guard let self, !closed else { return false }
            link.sendHeartbeat()
            return true
        }
    }

    func send(_ events: [Event]) async -> [Result<Receipt, FerryError>] {
        await EncodedBatch.send(
            events,
            encode: { [binding = endpoint.binding] event throws(FerryError) in
                try AMQPWireFormat.encode(event, binding: binding)
            }
        ) { await publish($0) }
    }

    func send(raw messages: [RawMessage]) async -> [Result<Receipt, FerryError>] {
        await publish(messages.map { ("", AMQPWireFormat.message($0)) })
    }

    func publish(_ items: [(eventID: String, message: AMQPMessage)]) async -> [Result<Receipt, FerryError>] {
        await batches.submit(items.map { Item(eventID: $0.eventID, message: $0.message, exchange: exchange, routingKey: routingKey) })
    }

    /// Publishes to `queue` through the default exchange, declaring the queue first.
    func publish(_ items: [(eventID: String, message: AMQPMessage)], to queue: AMQPTopology.Queue) async -> [Result<Receipt, FerryError>] {
        await batches.submit(
            items.map { Item(eventID: $0.eventID, message: $0.message, exchange: "", routingKey: queue.name, queue: queue) })
    }

    func close() async {
        await executor.run { [self] in
            closed = true
            link.drop()
        }
    }

    private func publishBlocking(_ items: [Item]) -> [Result<Receipt, FerryError>] {
        var results = [Result<Receipt, FerryError>?](repeating: nil, count: items.count)
        let deadline = ContinuousClock.now + timeout
        var lastError: FerryError?
        while results.contains(where: { $0 == nil }), ContinuousClock.now < deadline {
            do throws(FerryError) {
                try link.run { connection throws(FerryError) in
                    try declareNewQueues(of: items, on: connection)
                    try confirmRound(items, into: &results, on: connection)
                }
            } catch {
                lastError = error
                guard error.isRetriable else { break }
                link.backOff(after: error)
            }
        }
        return results.enumerated().map { index, result in
            if result == nil, let lastError, !lastError.isRetriable { return .failure(lastError) }  // refused for good: say so
            return result
                ?? .failure(
                    FerryError(
                        .publishFailed,
                        "RabbitMQ at \(endpoint.location) did not confirm event \(items[index].eventID) within \(timeout)"
                            + (lastError.map { ": \($0.message)" } ?? ""),
                        remedy: lastError?.remedy ?? "check that the broker is running", isRetriable: lastError?.isRetriable ?? true))
        }
    }

    /// Declares the queues `items` go to that this publisher has not declared yet; a new
    /// connection declares them all again.
    private func declareNewQueues(of items: [Item], on connection: AMQPConnection) throws(FerryError) {
        for case let queue? in items.map(\.queue) where !topology.queues.contains(where: { $0.name == queue.name }) {
            try AMQPTopology(queues: [queue]).declare(on: connection)
            topology.queues.append(queue)
        }
    }

    /// Publishes every message still without a result and reads confirms until each has one.
    private func confirmRound(
        _ items: [Item], into results: inout [Result<Receipt, FerryError>?],
        on connection: AMQPConnection
    ) throws(FerryError) {
        var unconfirmed: [UInt64: Int] = [:]  // delivery tag -> item index
        var returnedReason: String?
        func settle(_ tag: UInt64, multiple: Bool, _ make: (Int, UInt64) -> Result<Receipt, FerryError>) {
            let tags = multiple ? unconfirmed.keys.filter { $0 <= tag } : [tag]
            for tag in tags {
                guard let index = unconfirmed.removeValue(forKey: tag) else { continue }
                results[index] = make(index, tag)
            }
        }
        func readConfirm(wait: Duration) throws(FerryError) -> Bool {
            guard let frame = try connection.nextConfirm(timeout: wait) else { return false }
            switch frame {
            case .returned(let code, let text):
                returnedReason = "\(code) \(text)"
            case .ack(let tag, let multiple):
                if let reason = returnedReason {
                    // basic.return comes just before the ack of the same message.
                    returnedReason = nil
                    if let index = unconfirmed.removeValue(forKey: tag) {
                        results[index] = .failure(
                            FerryError(
                                .publishFailed,
                                "RabbitMQ at \(endpoint.location) could not route event \(items[index].eventID): no queue is bound to exchange '\(items[index].exchange)' with routing key '\(items[index].routingKey)' (\(reason))",
                                remedy:
                                    "subscribe a consumer group first (it declares and binds its queue), or add &queue=NAME to the endpoint"
                            ))
                    }
                }
                settle(tag, multiple: multiple) { index, tag in
                    let item = items[index]
                    return .success(
                        Receipt(
                            eventID: item.eventID,
                            position: Position(destination: item.exchange.isEmpty ? item.routingKey : item.exchange, offset: String(tag))))
                }
            case .nack(let tag, let multiple):
                settle(tag, multiple: multiple) { index, _ in
                    .failure(
                        FerryError(
                            .publishFailed, "RabbitMQ at \(endpoint.location) refused event \(items[index].eventID) (basic.nack)",
                            remedy: "the broker could not store it (disk or memory alarm, queue limit); publish it again later",
                            isRetriable: true))
                }
            }
            return true
        }
        for index in items.indices where results[index] == nil {
            while unconfirmed.count >= window { _ = try readConfirm(wait: .seconds(10)) }
            unconfirmed[
                try connection.publish(items[index].message, exchange: items[index].exchange, routingKey: items[index].routingKey)] = index
            while connection.hasBuffered, try readConfirm(wait: .zero) {}
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !unconfirmed.isEmpty {
            if try !readConfirm(wait: .milliseconds(200)), ContinuousClock.now > deadline {
                throw FerryError(.timeout, "RabbitMQ at \(endpoint.location) sent no confirm for 10 s", isRetriable: true)
            }
        }
    }
}
