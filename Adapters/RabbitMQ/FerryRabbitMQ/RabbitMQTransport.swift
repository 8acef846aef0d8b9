import Ferry
import Foundation
import Logging

/// The `amqp://` and `amqps://` transport over rabbitmq-c. Each publisher and each consumer
/// owns one connection, driven on its own executor (rabbitmq-c connections are not
/// thread-safe).
public final class RabbitMQTransport: Transport {
    public let schemes = ["amqp", "amqps"]
    private let logger: Logger

    public init(logger: Logger = Logger(label: "ferry.amqp")) {
        self.logger = logger
        logger.debug("rabbitmq-c \(RabbitMQRuntime.version)")
    }

    public func makePublisher(for endpoint: Endpoint) async throws -> any Publisher {
        let amqp = try AMQPEndpoint(endpoint)
        var topology = AMQPTopology()
        if amqp.declares, !amqp.exchange.isEmpty { topology.exchange = (amqp.exchange, amqp.exchangeType) }
        if amqp.declares, let queue = amqp.queue {
            topology.queues = [
                .init(name: queue, type: amqp.queueType, binding: amqp.exchange.isEmpty ? nil : (amqp.exchange, amqp.bindingKey))
            ]
        }
        return try StructuredPublisher.wrapping(
            RabbitMQPublisher(endpoint: amqp, exchange: amqp.exchange, routingKey: amqp.routingKey, topology: topology, logger: logger),
            for: endpoint)
    }

    public func subscribe(to endpoint: Endpoint, options: SubscribeOptions) async throws -> Subscription {
        let amqp = try AMQPEndpoint(endpoint)
        let queue = amqp.queue(for: options.group)
        var topology = AMQPTopology()
        if !amqp.exchange.isEmpty { topology.exchange = (amqp.exchange, amqp.exchangeType) }
        topology.queues = [
            .init(name: queue, type: amqp.queueType, binding: amqp.exchange.isEmpty ? nil : (amqp.exchange, amqp.bindingKey))
        ]
        let cursor = try AMQPStreamCursor(options.start, endpoint: amqp, queue: queue)
        let source = RabbitMQSource(
            endpoint: amqp, queue: queue, topology: topology, options: options, logger: logger,
            cursor: amqp.queueType == "stream" ? cursor : nil)
        try await source.start()
        return Subscription(endpoint: endpoint, options: options, source: source, transport: self, logger: logger)
    }

    /// A queue of its own per requester, which RabbitMQ deletes once it has gone unused for ten
    /// minutes (`x-expires`: the requester closed or crashed; a durable one is kept); replies
    /// reach it through the default exchange.
    public func openReplies(near endpoint: Endpoint, id: String, durable: Bool) async throws -> ReplyRoute {
        let address = ReplyAddress.make(id, durable: durable)
        let replies = try replyEndpoint(for: address, near: endpoint)
        let amqp = try AMQPEndpoint(replies)
        let options = SubscribeOptions(group: "requester")
        var topology = AMQPTopology()
        topology.queues = [.init(name: address, arguments: durable ? [] : [("x-expires", .long(600_000))])]
        let source = RabbitMQSource(endpoint: amqp, queue: address, topology: topology, options: options, logger: logger)
        try await source.start()
        let subscription = Subscription(endpoint: replies, options: options, source: source, transport: self, logger: logger)
        return ReplyRoute(address: address, subscription: subscription) { await subscription.close() }
    }

    /// The reply queue on the same broker and vhost, through the default exchange, without
    /// declaring it (it is the requester's, with its arguments).
    public func replyEndpoint(for address: String, near endpoint: Endpoint) throws -> Endpoint {
        var replies = endpoint.with(query: ["queue": address, "declare": "false"])
        for key in ["exchange", "exchange-type", "routing-key", "binding-key", "queue-type", "dlq"] { replies.query[key] = nil }
        return replies
    }

    /// Declares the exchange (or the named queue) and the dead-letter queue. RabbitMQ has no
    /// partitions; group queues are declared when a group subscribes.
    public func provision(_ endpoint: Endpoint, partitions: Int) async throws {
        let amqp = try AMQPEndpoint(endpoint)
        let executor = BlockingExecutor(label: "ferry.amqp.admin")
        try await executor.run { () throws in
            let connection = try AMQPConnection(amqp, confirms: false)
            defer { connection.close() }
            if !amqp.exchange.isEmpty { try connection.declareExchange(amqp.exchange, type: amqp.exchangeType) }
            if let queue = amqp.queue { try connection.declareQueue(queue, type: amqp.queueType) }
            try connection.declareQueue(amqp.deadLetterQueue)
        }
    }

    /// Dead letters are read from their queue, as a work queue.
    public func deadLetterEndpoint(for endpoint: Endpoint) throws -> Endpoint {
        let amqp = try AMQPEndpoint(endpoint)
        return endpoint.with(query: [
            "queue": amqp.deadLetterQueue, "exchange": nil, "routing-key": nil, "binding-key": nil, "dlq": nil, "queue-type": nil,
        ])
    }

    /// Ready + unacknowledged messages of the group's queue and of its retry queues.
    public func lag(of endpoint: Endpoint, group: String) async throws -> [LagEntry] {
        let amqp = try AMQPEndpoint(endpoint)
        let queue = amqp.queue(for: group)
        let escaped = NSRegularExpression.escapedPattern(for: queue)
        return try await RabbitMQManagement(endpoint: amqp).queues(matching: "^\(escaped)(\\.retry\\.[0-9]+)?$").map {
            LagEntry(scope: $0.name, lag: $0.ready + $0.unacked, pending: $0.unacked)
        }
    }

    public func shutdown() async {}
}

extension RabbitMQTransport: Browsable {
    /// basic.get through the group's queue without acknowledging, then the connection closes
    /// and every message goes back in its place. A queue holds only what is unsettled, so the
    /// group is the queue; messages another consumer holds unacknowledged are not seen.
    package func browse(
        _ endpoint: Endpoint, group: String, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws {
        let amqp = try AMQPEndpoint(endpoint)
        let queue = amqp.queue(for: group)
        let browser = RabbitMQBrowser(amqp, queue: queue)
        do {
            reading: while true {
                let page = try await browser.next(100)
                for delivered in page {
                    let position = Position(destination: queue, offset: String(delivered.deliveryTag))
                    let envelope = AMQPWireFormat.decode(
                        delivered.message, position: position, source: endpoint.description, limits: limits)
                    guard try await body(Browsed(position: position, envelope: envelope)) else { break reading }
                }
                if page.count < 100 { break }
            }
        } catch {
            await browser.close()
            throw error
        }
        await browser.close()
    }

    /// A stream queue read from `start` to its last offset when the read began, or until a
    /// second without messages; other queues keep no history and are refused.
    package func history(
        _ endpoint: Endpoint, from start: SubscribeOptions.Start, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws {
        let amqp = try AMQPEndpoint(endpoint)
        guard amqp.queueType == "stream", let queue = amqp.queue else {
            throw FerryError(
                .unsupported, "RabbitMQ endpoint \(endpoint) names no stream queue: only a stream keeps history to read again",
                remedy: "give the stream queue the events are kept in: ?queue=NAME&queue-type=stream")
        }
        guard start != .latest else { return }
        var cursor = try AMQPStreamCursor(start, endpoint: amqp, queue: queue)
        guard let end = try await Self.lastOffset(amqp, queue: queue) else { return }
        let reader = RabbitMQStreamReader(amqp, queue: queue, arguments: cursor.arguments)
        var idle = Self.attachWait
        do {
            reading: while true {
                let page = try await reader.next(200, idle: idle)
                idle = .seconds(1)
                guard !page.isEmpty else { break }
                for delivered in page {
                    guard let offset = AMQPStreamCursor.offset(of: delivered), offset <= end else { break reading }
                    var message = delivered.message
                    message.headers.removeValue(forKey: AMQPStreamCursor.header)
                    let position = Position(destination: queue, offset: String(offset))
                    let envelope = AMQPWireFormat.decode(message, position: position, source: endpoint.description, limits: limits)
                    let passedOver = cursor.deliver(offset) { try? envelope.get().event.timeMicros }
                    cursor.settle(offset)
                    if !passedOver { guard try await body(Browsed(position: position, envelope: envelope)) else { break reading } }
                    if offset == end { break reading }
                }
            }
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
    }

    /// How long a stream's reader may take to attach and hand out its first message: seconds
    /// under load (CI runs 72 suites at once on 2 cores).
    private static let attachWait = Duration.seconds(5)

    /// The offset of a stream's last message now, nil when it is empty: AMQP 0-9-1 cannot ask,
    /// so a consumer attached at the last chunk (`x-stream-offset: last`) reads it out, for at
    /// most 2 s after its first message (a stream written to without pause has no last message to
    /// wait for). The first message may take seconds to come under load; an empty stream costs
    /// that wait.
    private static func lastOffset(_ amqp: AMQPEndpoint, queue: String) async throws -> Int64? {
        let probe = RabbitMQStreamReader(amqp, queue: queue, arguments: [(AMQPStreamCursor.header, .string("last"))])
        var deadline = ContinuousClock.now + Self.attachWait
        var idle = Self.attachWait
        var last: Int64?
        do {
            while ContinuousClock.now < deadline, case let page = try await probe.next(200, idle: idle), !page.isEmpty {
                if last == nil { deadline = ContinuousClock.now + .seconds(2) }
                idle = .milliseconds(300)
                last = max(last ?? 0, page.compactMap(AMQPStreamCursor.offset).max() ?? 0)
            }
        } catch {
            await probe.close()
            throw error
        }
        await probe.close()
        return last
    }
}
