import Ferry
import Logging

/// The `redis://` transport. Its wire mapping is done; connecting to the broker
/// comes with issue 5, and until then every operation says so instead of pretending.
public final class RedisTransport: Transport {
    public let schemes = ["redis"]
    public let capabilities: Capabilities = [.replay]
    let logger: Logger

    public init(logger: Logger = Logger(label: "ferry.redis")) {
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
            .unsupported, "the Redis adapter cannot reach '\(endpoint)' yet: only its wire mapping exists",
            remedy: "use memory:// for now; issue 5 connects it to the broker")
    }
}
