import Ferry

/// Reads a queue with basic.get and acknowledges nothing: closing the connection gives every
/// message back to the queue, in its place. What `RabbitMQTransport.browse` uses.
final class RabbitMQBrowser: @unchecked Sendable {
    // @unchecked: `connection` is only touched on `executor`, one call at a time.
    private var connection: AMQPConnection?
    private let endpoint: AMQPEndpoint
    private let queue: String
    private let executor = BlockingExecutor(label: "ferry.amqp.browse")

    init(_ endpoint: AMQPEndpoint, queue: String) {
        self.endpoint = endpoint
        self.queue = queue
    }

    /// Up to `count` more messages; fewer only when the queue has no more.
    func next(_ count: Int) async throws -> [AMQPDelivered] {
        try await executor.run { [self] () throws(FerryError) in
            let live: AMQPConnection
            if let connection {
                live = connection
            } else {
                live = try AMQPConnection(endpoint, confirms: false)
                connection = live
            }
            var page: [AMQPDelivered] = []
            while page.count < count, let message = try live.get(queue: queue) { page.append(message) }
            return page
        }
    }

    func close() async {
        await executor.run { [self] in connection?.close() }
    }
}
