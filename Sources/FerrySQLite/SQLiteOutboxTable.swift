import Ferry
import Foundation
import GRDB

/// An outbox table in a SQLite file, read by one relay at a time: the reader holding the lease
/// row (renewed at every read, taken over 10 s after its holder stopped renewing). SQLite has
/// no notifications: a reader with nothing to read looks again every 100 ms.
package final class SQLiteOutboxTable: OutboxTable {
    private let database: DatabaseQueue
    private let table: String
    package let location: String
    private static let leaseTerm: Int64 = 10_000_000

    package init(_ endpoint: Endpoint) throws {
        guard endpoint.hosts.isEmpty, !endpoint.path.isEmpty else {
            throw FerryError(.invalidEndpoint, "outbox '\(endpoint)': write sqlite:///absolute/path.db?table=NAME")
        }
        let path = "/" + endpoint.path
        table = try TableName.validated(endpoint.query["table"] ?? OutboxTransport.defaultTable, in: "outbox '\(endpoint)'")
        location = "sqlite://\(path)?table=\(table)"
        database = try SQLiteFile.open(path, for: "outbox") { [table] db in try Self.create(table, in: db) }
    }

    static func create(_ table: String, in db: Database) throws {
        let columns = """
            id INTEGER PRIMARY KEY AUTOINCREMENT, partition_key TEXT, event BLOB NOT NULL, headers TEXT NOT NULL DEFAULT '{}',
            due INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 1, first_failure INTEGER,
            created INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
            """
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(table) (\(columns))")
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(table)_dlq (\(columns))")
        try db.execute(
            sql:
                "CREATE TABLE IF NOT EXISTS \(table)_lease (one INTEGER PRIMARY KEY CHECK (one = 1), reader TEXT NOT NULL, expires INTEGER NOT NULL)"
        )
    }

    static func insert(_ rows: [OutboxRow.New], into table: String, in db: Database) throws -> [Int64] {
        let statement = try db.cachedStatement(sql: "INSERT INTO \(table) (partition_key, event, headers) VALUES (?, ?, ?)")
        return try rows.map { row in
            try statement.execute(arguments: [row.partitionKey, row.body, row.headersJSON])
            return db.lastInsertedRowID
        }
    }

    package func create() async throws {}  // done when opened

    package func lead(as reader: String) async throws -> Bool {
        let now = Event.micros(of: Date())
        return try await database.write { [table] db in
            try db.execute(
                sql: """
                    INSERT INTO \(table)_lease (one, reader, expires) VALUES (1, ?, ?)
                    ON CONFLICT (one) DO UPDATE SET reader = excluded.reader, expires = excluded.expires
                    WHERE \(table)_lease.reader = excluded.reader OR \(table)_lease.expires <= ?
                    """, arguments: [reader, now + Self.leaseTerm, now])
            return db.changesCount == 1
        }
    }

    package func resign(as reader: String) async {
        _ = try? await database.write { [table] db in
            try db.execute(sql: "DELETE FROM \(table)_lease WHERE reader = ?", arguments: [reader])
        }
    }

    package func waitForRows(upTo limit: Duration, as reader: String) async {
        try? await Task.sleep(for: min(limit, .milliseconds(100)))
    }

    package func due(limit: Int, excluding: [Int64], now: Int64) async throws -> [OutboxRow] {
        let held = Set(excluding)
        return try await database.read { [table] db in
            // Held rows are few (at most the prefetch); they are passed over here, not in SQL.
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, event, headers, attempt, first_failure FROM \(table) WHERE due <= ? ORDER BY id LIMIT ?",
                arguments: [now, limit + held.count])
            // Read without trapping whatever another program stored: SQLite keeps any type in
            // any column, and GRDB's typed subscripts stop the process on a mismatch.
            return rows.compactMap { row -> OutboxRow? in
                guard let id = Int64.fromDatabaseValue(row["id"] as DatabaseValue), !held.contains(id) else { return nil }
                let value: (String) -> DatabaseValue = { row[$0] }
                return OutboxRow(
                    id: id, body: Data.fromDatabaseValue(value("event")) ?? Data(),
                    headers: OutboxRow.headers(String.fromDatabaseValue(value("headers"))),
                    attempt: Int.fromDatabaseValue(value("attempt")) ?? 1,
                    firstFailureMicros: Int64.fromDatabaseValue(value("first_failure")))
            }.prefix(limit).map { $0 }
        }
    }

    package func insert(_ rows: [OutboxRow.New]) async throws -> [Int64] {
        try await database.write { [table] db in try Self.insert(rows, into: table, in: db) }
    }

    package func delete(_ ids: [Int64]) async throws {
        try await database.write { [table] db in
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ ids[$0..<min($0 + 500, ids.count)] }) {
                try db.execute(
                    sql: "DELETE FROM \(table) WHERE id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ",")))",
                    arguments: StatementArguments(Array(chunk)))
            }
        }
    }

    package func postpone(_ id: Int64, until due: Int64, attempt: Int, firstFailureMicros: Int64) async throws {
        try await database.write { [table] db in
            try db.execute(
                sql: "UPDATE \(table) SET due = ?, attempt = ?, first_failure = ? WHERE id = ?",
                arguments: [due, attempt, firstFailureMicros, id])
        }
    }

    package func deadLetter(_ id: Int64, headers: [String: String]) async throws {
        try await database.write { [table] db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO \(table)_dlq (id, partition_key, event, headers, due, attempt, first_failure, created)
                    SELECT id, partition_key, event, ?, 0, attempt, first_failure, created FROM \(table) WHERE id = ?
                    """, arguments: [OutboxRow.json(headers), id])
            try db.execute(sql: "DELETE FROM \(table) WHERE id = ?", arguments: [id])
        }
    }

    package func count() async throws -> Int {
        try await database.read { [table] db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }
}
