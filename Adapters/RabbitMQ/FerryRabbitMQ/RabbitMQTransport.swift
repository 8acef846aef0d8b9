import Ferry
import Logging

/// The `amqp://` transport. Its wire mapping is done; connecting to the broker
/// comes with issue 4, and until then every operation says so instead of pretending.
public final class RabbitMQTransport: Transport {
    public let schemes = ["amqp", "amqps"]
    public let capabilities: Capabilities = [.nativeDelay, .nativeDeadLetter]
    let logger: Logger

    public init(logger: Logger = Logger(label: "ferry.amqp")) {
        self.logger = logger
    }

    public func makePublisher(for endpoint: Endpoint) async throws -> any Publisher { throw notYet(endpoint) }

    public func subscribe(to endpoint: Endpoint, options: SubscribeOptions) async throws -> Subscription {
        throw notYet(endpoint)
    }

    public func provision(_ endpoint: Endpoint, partitions: Int) async throws { throw notYet(endpoint) }

    public func deadLetterEndpoint(for endpoint: Endpoint) throws -> Endpoint { throw notYet(endpoint) }

    public func lag(of endpoint: Endpoint, group: String) async throws -> [LagEntry] { throw notYet(endpoint) }

    public func shutdown() async {}

    private func notYet(_ endpoint: Endpoint) -> FerryError {
        FerryError(
            .unsupported, "the RabbitMQ adapter cannot reach '\(endpoint)' yet: only its wire mapping exists",
            remedy: "use memory:// for now; issue 4 connects it to the broker")
    }
}
