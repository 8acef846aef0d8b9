import Ferry
import Logging
import NIOCore
import PostgresNIO

/// Writes events into an outbox table in the caller's own transaction: they reach the relay
/// (a route whose source is `postgres://…/db?table=ferry_outbox`) only if it commits, and
/// whatever happens after the commit, they are not lost.
///
/// ```swift
/// try await client.withTransaction(logger: logger) { connection in
///     try await connection.query("INSERT INTO orders …", logger: logger)
///     try await outbox.add([placed], on: connection)
/// }
/// ```
public struct PostgresOutbox: Sendable {
    public let table: String

    public init(table: String = "ferry_outbox") throws {
        self.table = try TableName.validated(table, in: "outbox")
    }

    /// Creates the outbox table and its dead-letter table where missing.
    public func create(on connection: PostgresConnection) async throws {
        for statement in PostgresOutboxTable.schema(table) { try await connection.query(statement, logger: PostgresDatabase.quiet) }
    }

    /// Adds `events` in the transaction `connection` is in, and wakes the relay when it commits.
    public func add(_ events: [Event], on connection: PostgresConnection) async throws {
        _ = try await PostgresOutboxTable.insert(
            try events.map { event throws(FerryError) in try OutboxRow.New(event) }, into: table, on: connection)
    }
}

extension PostgresOutbox {
    /// The transport that reads and writes PostgreSQL outbox tables
    /// (`postgres://user:password@host:5432/db?table=…`), for a relay's `Transports`.
    public static func transport(logger: Logger = Logger(label: "ferry.postgres")) -> OutboxTransport {
        OutboxTransport(schemes: ["postgres", "postgresql"], logger: logger) { try PostgresOutboxTable($0, logger: logger) }
    }
}
