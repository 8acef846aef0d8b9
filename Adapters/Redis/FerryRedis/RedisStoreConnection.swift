import Ferry
import Logging

/// The connection a Redis-backed store (idempotency, sagas) talks through: its own executor
/// (hiredis blocks), reconnecting once on a dropped connection, errors naming the store.
final class RedisStoreConnection: @unchecked Sendable {
    // @unchecked: `link` is only touched on `executor`.
    let endpoint: RedisEndpoint
    private let what: String
    private let executor: BlockingExecutor
    private var link: Reconnecting<RedisConnection>

    /// `what`: the store as errors name it ("idempotency store").
    init(_ endpoint: RedisEndpoint, what: String) {
        self.endpoint = endpoint
        self.what = what
        executor = BlockingExecutor(label: "ferry.redis.\(what)")
        link = Reconnecting("Redis \(what) at \(endpoint.location)", logger: Logger(label: "ferry.redis")) {
            () throws(FerryError) in
            try RedisConnection(endpoint)
        }
    }

    /// Runs `body` on the store's executor with a connection, again on a new one if it dropped.
    func with<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws(FerryError) -> T) async throws -> T {
        try await executor.run { [self] () throws -> T in try link.runRetryingOnce(body) }
    }

    /// One command; an error reply is thrown.
    func run(_ arguments: [String]) async throws -> RedisValue {
        try await run(RedisCommand(arguments), named: arguments[0])
    }

    /// One built command (binary arguments); an error reply is thrown.
    func run(_ command: RedisCommand, named name: String) async throws -> RedisValue {
        let reply = try await with { connection throws(FerryError) in try connection.pipeline([command])[0] }
        if case .error(let message) = reply { throw refused(name, message) }
        return reply
    }

    func refused(_ command: String, _ message: String) -> FerryError {
        FerryError(.connectionFailed, "the \(what) at \(endpoint.location) refused \(command): \(message)")
    }
}
