import Ferry

/// The exchanges, queues and bindings a connection declares each time it (re)connects, so a
/// restarted broker or a fresh vhost gets them back.
struct AMQPTopology: Sendable {
    struct Queue: Sendable {
        var name: String
        var type: String = "classic"
        var arguments: [(String, AMQPArena.Value)] = []
        /// Bound to this exchange with this key, when set.
        var binding: (exchange: String, key: String)?
    }

    var exchange: (name: String, type: String)?
    var queues: [Queue] = []

    func declare(on connection: AMQPConnection) throws(FerryError) {
        if let exchange { try connection.declareExchange(exchange.name, type: exchange.type) }
        for queue in queues {
            try connection.declareQueue(queue.name, type: queue.type, arguments: queue.arguments)
            if let binding = queue.binding { try connection.bind(queue: queue.name, exchange: binding.exchange, key: binding.key) }
        }
    }
}

extension AMQPArena.Value: @unchecked Sendable {}
