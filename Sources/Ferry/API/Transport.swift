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
    /// Opens a private destination for one requester's replies on `endpoint`'s broker, and
    /// subscribes to it (`Requester`); `id` is unique to the requester. `durable`: it outlives
    /// the process and keeps the replies that come while nobody reads (a saga's), where
    /// otherwise it goes with its requester.
    func openReplies(near endpoint: Endpoint, id: String, durable: Bool) async throws -> ReplyRoute
    /// Where a reply goes: `address` as a command carried it (`replyto`), on the broker the
    /// command was read from (`endpoint`, whose credentials are used).
    func replyEndpoint(for address: String, near endpoint: Endpoint) throws -> Endpoint
    /// Closes the connections the transport keeps.
    func shutdown() async
}
