/// One broker kind behind the unified API: Kafka, RabbitMQ, Redis Streams or the in-memory
/// backend. Each adapter implements it; callers pick one by the endpoint's scheme.
public protocol Transport: Sendable {
    /// The URL schemes it serves, e.g. `["amqp", "amqps"]`.
    var schemes: [String] { get }

    func makePublisher(for endpoint: Endpoint) async throws -> any Publisher
    /// Joins `options.group` on `endpoint`; the group is created when it does not exist.
    func subscribe(to endpoint: Endpoint, options: SubscribeOptions) async throws -> Subscription
    /// Creates the topic, queue or stream (with `partitions` where the broker has them).
    func provision(_ endpoint: Endpoint, partitions: Int) async throws
    /// Where `endpoint`'s dead letters go (`dlq=` in the URL, else the broker's convention).
    func deadLetterEndpoint(for endpoint: Endpoint) throws -> Endpoint
    func lag(of endpoint: Endpoint, group: String) async throws -> [LagEntry]
    /// Closes the connections the transport keeps.
    func shutdown() async
}
