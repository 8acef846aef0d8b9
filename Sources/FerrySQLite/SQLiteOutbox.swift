import Ferry
import Foundation
import GRDB
import Logging

/// Writes events into an outbox table in the caller's own SQLite transaction (GRDB): they
/// reach the relay (a route whose source is `sqlite:///path.db?table=ferry_outbox`) only if it
/// commits.
///
/// ```swift
/// try database.write { db in
///     try db.execute(sql: "INSERT INTO orders …")
///     try SQLiteOutbox().add([placed], in: db)
/// }
/// ```
public struct SQLiteOutbox: Sendable {
    public let table: String

    public init(table: String = "ferry_outbox") throws {
        self.table = try TableName.validated(table, in: "outbox")
    }

    /// Creates the outbox table, its dead-letter table and its lease where missing.
    public func create(in db: Database) throws {
        try SQLiteOutboxTable.create(table, in: db)
    }

    /// Adds `events` in the transaction `db` is in.
    public func add(_ events: [Event], in db: Database) throws {
        _ = try SQLiteOutboxTable.insert(try events.map { event throws(FerryError) in try OutboxRow.New(event) }, into: table, in: db)
    }
}

extension SQLiteOutbox {
    /// The transport that reads and writes SQLite outbox tables (`sqlite:///path.db?table=…`),
    /// for a relay's `Transports`.
    public static func transport(logger: Logger = Logger(label: "ferry.sqlite")) -> OutboxTransport {
        OutboxTransport(schemes: ["sqlite"], logger: logger) { try SQLiteOutboxTable($0) }
    }
}
