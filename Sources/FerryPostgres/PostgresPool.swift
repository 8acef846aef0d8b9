import Ferry
import Logging
import PostgresNIO

/// A few connections to one PostgreSQL server, reused: what the stores and the outbox run
/// their statements on. Each connection is opened within a deadline and dropped at its first
/// error, so a restart of PostgreSQL costs one failed statement and a reconnect; a caller
/// waiting for a connection can be cancelled.
/// (postgres-nio's own `PostgresClient` pool was seen waiting forever for a connection after
/// a restart, with none being opened.)
package final class PostgresPool: Sendable {
    private typealias Waiter = CheckedContinuation<Granted, any Error>
    private enum Granted: Sendable {
        case connection(PostgresConnection)
        case slot
    }

    private let configuration: PostgresConnection.Configuration
    private let state: Locked<PostgresPoolState<PostgresConnection, Waiter>>
    private let ids = Locked<UInt64>(0)
    private let logger: Logger

    package init(_ configuration: PostgresConnection.Configuration, maximum: Int, connectTimeout: Duration, logger: Logger) {
        var configuration = configuration
        configuration.options.connectTimeout = .nanoseconds(connectTimeout.nanoseconds)
        self.configuration = configuration
        self.logger = logger
        state = Locked(PostgresPoolState(maximum: maximum))
    }

    deinit {
        // postgres-nio traps (in debug builds) on a connection that goes unclosed.
        let idle = state.withLock { $0.takeIdle() }
        if !idle.isEmpty { Task { for connection in idle { try? await connection.close() } } }
    }

    /// Runs `body` on a connection of the pool. A connection on which `body` threw is closed:
    /// it may be broken, and a new one costs little next to a statement on a dead one.
    package func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            giveBack(connection.isClosed ? nil : connection)
            return result
        } catch {
            logger.debug("closing a PostgreSQL connection after an error", metadata: ["error": "\(error)"])
            try? await connection.close()
            giveBack(nil)
            throw error
        }
    }

    /// The rows of one statement.
    @discardableResult
    package func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withConnection { try await $0.query(query, logger: PostgresDatabase.quiet).collect() }
    }

    /// Runs `body` in a transaction on a connection of the pool.
    package func withTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.withTransaction(logger: PostgresDatabase.quiet) { try await body($0) }
        }
    }

    /// A connection of its own, outside the pool. postgres-nio gives up at the deadline
    /// (`connectTimeout`, which covers the whole start-up, not only TCP) or when cancelled.
    package func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: configuration, id: 1, logger: PostgresDatabase.quiet)
    }

    private func lease() async throws -> PostgresConnection {
        let id = ids.withLock {
            $0 += 1
            return $0
        }
        let granted = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                switch state.withLock({ $0.lease(id, waiter) }) {
                case .reuse(let connection): waiter.resume(returning: .connection(connection))
                case .connect: waiter.resume(returning: .slot)
                case .wait:
                    // Cancelled before it waited, the handler found no waiter to cancel.
                    if Task.isCancelled, let waiter = state.withLock({ $0.cancel(id) }) { waiter.resume(throwing: CancellationError()) }
                }
            }
        } onCancel: {
            state.withLock { $0.cancel(id) }?.resume(throwing: CancellationError())
        }
        if case .connection(let connection) = granted, !connection.isClosed { return connection }
        // A slot, or an idle connection the server closed: a new connection in its place.
        if case .connection(let connection) = granted { try? await connection.close() }
        do {
            return try await connect()
        } catch {
            giveBack(nil)
            throw error
        }
    }

    private func giveBack(_ connection: PostgresConnection?) {
        switch state.withLock({ $0.release(connection) }) {
        case .none: break
        case .give(let connection, let waiter): waiter.resume(returning: .connection(connection))
        case .connect(let waiter): waiter.resume(returning: .slot)
        }
    }
}
