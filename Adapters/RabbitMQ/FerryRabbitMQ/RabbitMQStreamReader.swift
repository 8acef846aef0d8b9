import Ferry

/// Reads a stream queue from where its consumer arguments attach, acknowledging as it goes (a
/// stream keeps its messages; acks only give credit for more). What
/// `RabbitMQTransport.history` uses.
final class RabbitMQStreamReader: @unchecked Sendable {
    // @unchecked: `connection` is only touched on `executor`, one call at a time.
    private var connection: AMQPConnection?
    private let endpoint: AMQPEndpoint
    private let queue: String
    private let arguments: [(String, AMQPArena.Value)]
    private let executor = BlockingExecutor(label: "ferry.amqp.stream")

    init(_ endpoint: AMQPEndpoint, queue: String, arguments: [(String, AMQPArena.Value)]) {
        self.endpoint = endpoint
        self.queue = queue
        self.arguments = arguments
    }

    /// Up to `count` more messages; none when none came for `idle`: AMQP 0-9-1 cannot ask a
    /// stream where it ends, so a reader that has caught up learns it by waiting.
    func next(_ count: Int, idle: Duration) async throws -> [AMQPDelivered] {
        try await executor.run { [self] () throws(FerryError) in
            let live: AMQPConnection
            if let connection {
                live = connection
            } else {
                live = try AMQPConnection(endpoint, confirms: false)
                connection = live
                try live.consume(queue: queue, prefetch: count, consumerTag: "ferry-history", arguments: arguments)
                // A slow sink (a low --rate) must not let the broker take the reader for dead.
                executor.keepAlive(endpoint) { [weak self] in
                    guard let self, let connection else { return false }
                    return (try? connection.sendHeartbeat()) != nil
                }
            }
            guard let first = try live.receive(timeout: idle) else { return [] }
            var page = [first]
            while page.count < count, live.hasBuffered, let message = try live.receive(timeout: .zero) { page.append(message) }
            for message in page { try live.ack(message.deliveryTag) }
            return page
        }
    }

    func close() async {
        await executor.run { [self] in
            connection?.close()
            connection = nil
        }
    }
}
