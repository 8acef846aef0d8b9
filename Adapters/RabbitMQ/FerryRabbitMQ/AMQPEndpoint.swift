import Ferry

/// What an `amqp://` URL says:
/// `amqp[s]://user:password@host:port/vhost?exchange=E&exchange-type=topic&routing-key=K&binding-key=B&queue=Q&queue-type=quorum&dlq=D`.
///
/// Publishing goes to exchange `E` with routing key `K` (without an exchange: the default
/// exchange, routing key `K` or else `Q`). A consumer group reads queue `Q` when one is named
/// (competing consumers, whatever the group), else its own durable queue `<E>.<group>` bound to
/// `E` with `B` (default `K`, else `#`). Dead letters go to `D`, default `<Q or E>.dlq`.
/// `amqps://` adds `cacert=/path/ca.pem` (and `verify=false` for local tests only).
/// `declare=false`: a publisher declares nothing; what it sends to must exist (a reply queue).
/// `queue-type=stream`: the queue is a RabbitMQ stream, which keeps what it took for every
/// reader: a subscription to it can start at a time or an offset, and each subscription reads
/// every message (a stream shares nothing out among a group's members).
package struct AMQPEndpoint: Sendable {
    let endpoint: Endpoint
    let host: String
    let port: Int
    let tls: Bool
    let user: String
    let password: String
    let vhost: String
    let exchange: String
    let exchangeType: String
    let routingKey: String
    let bindingKey: String
    let queue: String?
    let queueType: String
    let deadLetterQueue: String
    let heartbeatSeconds: Int
    let publishTimeout: Duration
    /// The header prefix published attributes go under (`binding=rabbitmq|amqp`).
    let binding: AMQPWireFormat.Binding
    /// amqps: the CA certificate file to verify the broker with (`cacert=`), and whether to
    /// verify at all (`verify=false` turns it off, for local tests only).
    let caCertificate: String?
    let verifyPeer: Bool
    /// Whether a publisher declares its exchange and queue first (`declare=false` turns it off).
    let declares: Bool

    package init(_ endpoint: Endpoint) throws(FerryError) {
        guard endpoint.scheme == "amqp" || endpoint.scheme == "amqps", endpoint.hosts.count == 1 else {
            throw FerryError(.invalidEndpoint, "endpoint '\(endpoint)' is not an amqp:// URL with one host")
        }
        self.endpoint = endpoint
        tls = endpoint.scheme == "amqps"
        host = endpoint.hosts[0].name
        port = endpoint.hosts[0].port ?? (tls ? 5671 : 5672)
        user = endpoint.user ?? "guest"
        password = endpoint.password ?? "guest"
        vhost = endpoint.path.isEmpty ? "/" : endpoint.path
        exchange = endpoint.query["exchange"] ?? ""
        exchangeType = endpoint.query["exchange-type"] ?? "topic"
        guard ["direct", "topic", "fanout", "headers"].contains(exchangeType) else {
            throw FerryError(
                .invalidEndpoint, "endpoint '\(endpoint)': exchange-type '\(exchangeType)' is not direct, topic, fanout or headers")
        }
        queue = endpoint.query["queue"]
        guard !exchange.isEmpty || queue != nil else {
            throw FerryError(
                .invalidEndpoint, "endpoint '\(endpoint)' names neither an exchange nor a queue",
                remedy: "add ?exchange=NAME (publish/subscribe) or ?queue=NAME (a work queue)")
        }
        routingKey = endpoint.query["routing-key"] ?? (exchange.isEmpty ? queue! : "")
        bindingKey = endpoint.query["binding-key"] ?? (routingKey.isEmpty ? "#" : routingKey)
        queueType = endpoint.query["queue-type"] ?? "classic"
        guard ["classic", "quorum", "stream"].contains(queueType) else {
            throw FerryError(.invalidEndpoint, "endpoint '\(endpoint)': queue-type '\(queueType)' is not classic, quorum or stream")
        }
        deadLetterQueue = endpoint.query["dlq"] ?? "\(queue ?? exchange).dlq"
        heartbeatSeconds = try endpoint.integer("heartbeat", default: 10, in: 0...3600)!
        publishTimeout = try endpoint.publishTimeout()
        guard let binding = AMQPWireFormat.Binding(rawValue: endpoint.query["binding"] ?? "rabbitmq") else {
            throw FerryError(
                .invalidEndpoint, "endpoint '\(endpoint)': binding '\(endpoint.query["binding"] ?? "")' is not rabbitmq or amqp",
                remedy: "binding=rabbitmq writes ce- headers (the RabbitMQ protocol binding); binding=amqp writes cloudEvents: headers")
        }
        self.binding = binding
        caCertificate = endpoint.query["cacert"]
        verifyPeer = endpoint.query["verify"] != "false"
        declares = endpoint.query["declare"] != "false"
    }

    /// The queue a group consumes from.
    func queue(for group: String) -> String { queue ?? "\(exchange).\(group)" }

    /// `host:port/vhost`, for messages (no credentials).
    var location: String { "\(host):\(port)/\(vhost == "/" ? "%2F" : vhost)" }
}
