import Ferry
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// An outbox table in PostgreSQL, read by one relay at a time: the reader holding a session
/// advisory lock on a connection of its own (gone with the connection if the relay dies),
/// which also LISTENs for the NOTIFY each insert sends on commit.
package final class PostgresOutboxTable: OutboxTable {
    private let database: PostgresDatabase
    private let table: String
    package let location: String
    /// Each reader's lease: the connection holding the lock, and the wake-ups its LISTEN hears.
    private let leases = Locked<[String: Lease]>([:])
    private struct Lease: Sendable {
        var connection: PostgresConnection
        var wakeups: AsyncStream<Void>
        var listener: Task<Void, Never>
    }
    private static let what = "outbox"

    package init(_ endpoint: Endpoint, logger: Logger) throws {
        database = try PostgresDatabase(endpoint, what: Self.what, table: OutboxTransport.defaultTable, logger: logger)
        table = database.table
        location = "postgres://\(database.location)?table=\(database.table)"
    }

    /// The table and its dead-letter table.
    static func schema(_ table: String) -> [PostgresQuery] {
        let columns = """
            id BIGSERIAL PRIMARY KEY, partition_key TEXT, event BYTEA NOT NULL, headers TEXT NOT NULL DEFAULT '{}',
            due BIGINT NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 1, first_failure BIGINT,
            created BIGINT NOT NULL DEFAULT (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT
            """
        return [
            "CREATE TABLE IF NOT EXISTS \(unescaped: table) (\(unescaped: columns))",
            "CREATE TABLE IF NOT EXISTS \(unescaped: table)_dlq (\(unescaped: columns))",
        ]
    }

    /// Inserts `rows` on `connection` (in its transaction, if it is in one) and notifies the
    /// table's channel, which a LISTEN hears when the transaction commits.
    static func insert(_ rows: [OutboxRow.New], into table: String, on connection: PostgresConnection) async throws -> [Int64] {
        var ids: [Int64] = []
        for row in rows {
            let inserted = try await connection.query(
                """
                INSERT INTO \(unescaped: table) (partition_key, event, headers) VALUES (\(row.partitionKey), \(ByteBuffer(bytes: row.body)), \(row.headersJSON))
                RETURNING id
                """, logger: PostgresDatabase.quiet
            ).collect()
            guard let id = try inserted.first?.decode(Int64.self) else {
                throw FerryError(.publishFailed, "the outbox table \(table) returned no id for an inserted row")
            }
            ids.append(id)
        }
        try await connection.query("SELECT pg_notify(\(table), '')", logger: PostgresDatabase.quiet)
        return ids
    }

    package func create() async throws {
        try await database.create(Self.schema(table), for: Self.what)
    }

    package func lead(as reader: String) async throws -> Bool {
        if let held = leases.withLock({ $0[reader] }), !held.connection.isClosed { return true }
        await resign(as: reader)  // a lost connection lost its lock too
        return try await database.run("taking the outbox's lease", for: Self.what) {
            let connection = try await database.connect()
            let taken: Bool
            do {
                taken =
                    try await connection.query(
                        "SELECT pg_try_advisory_lock(hashtext(\("ferry.outbox." + table)))", logger: PostgresDatabase.quiet
                    ).collect().first?.decode(Bool.self) ?? false
            } catch {
                // Closed before it goes: postgres-nio traps (in debug builds) on a connection
                // left open, as one is when PostgreSQL stops between the connect and the query.
                try? await connection.close()
                throw error
            }
            guard taken else {
                try? await connection.close()
                return false
            }
            let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let listener = Task { [table] in
                try? await connection.listen(on: table) { notifications in
                    for try await _ in notifications { wake.yield() }
                }
                wake.finish()
            }
            leases.withLock { $0[reader] = Lease(connection: connection, wakeups: wakeups, listener: listener) }
            return true
        }
    }

    package func resign(as reader: String) async {
        guard let held = leases.withLock({ $0.removeValue(forKey: reader) }) else { return }
        held.listener.cancel()
        try? await held.connection.close()
    }

    package func waitForRows(upTo limit: Duration, as reader: String) async {
        guard let wakeups = leases.withLock({ $0[reader]?.wakeups }) else {
            try? await Task.sleep(for: limit)
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: limit) }
            group.addTask { for await _ in wakeups { break } }
            await group.next()
            group.cancelAll()
        }
    }

    package func due(limit: Int, excluding: [Int64], now: Int64) async throws -> [OutboxRow] {
        try await database.run("reading rows", for: Self.what) {
            try await database.pool.query(
                """
                SELECT id, event, headers, attempt, first_failure FROM \(unescaped: table)
                WHERE due <= \(now) AND NOT (id = ANY(\(excluding)::BIGINT[])) ORDER BY id LIMIT \(Int64(limit))
                """
            ).map { row in
                let (id, body, headers, attempt, firstFailure) = try row.decode((Int64, ByteBuffer, String, Int32, Int64?).self)
                return OutboxRow(
                    id: id, body: Data(body.readableBytesView), headers: OutboxRow.headers(headers), attempt: Int(attempt),
                    firstFailureMicros: firstFailure)
            }
        }
    }

    package func insert(_ rows: [OutboxRow.New]) async throws -> [Int64] {
        try await database.run("adding \(rows.count) rows", for: Self.what) {
            try await database.pool.withTransaction { [table] connection in
                try await Self.insert(rows, into: table, on: connection)
            }
        }
    }

    package func delete(_ ids: [Int64]) async throws {
        try await database.run("deleting \(ids.count) relayed rows", for: Self.what) {
            try await database.pool.query(
                "DELETE FROM \(unescaped: table) WHERE id = ANY(\(ids)::BIGINT[])")
        }
    }

    package func postpone(_ id: Int64, until due: Int64, attempt: Int, firstFailureMicros: Int64) async throws {
        try await database.run("postponing row \(id)", for: Self.what) {
            try await database.pool.query(
                """
                UPDATE \(unescaped: table) SET due = \(due), attempt = \(Int32(clamping: attempt)), first_failure = \(firstFailureMicros)
                WHERE id = \(id)
                """)
        }
    }

    package func deadLetter(_ id: Int64, headers: [String: String]) async throws {
        try await database.run("dead-lettering row \(id)", for: Self.what) {
            try await database.pool.query(
                """
                WITH moved AS (DELETE FROM \(unescaped: table) WHERE id = \(id) RETURNING *)
                INSERT INTO \(unescaped: table)_dlq (id, partition_key, event, headers, due, attempt, first_failure, created)
                SELECT id, partition_key, event, \(OutboxRow.json(headers)), 0, attempt, first_failure, created FROM moved
                ON CONFLICT (id) DO NOTHING
                """)
        }
    }

    package func count() async throws -> Int {
        try await database.run("counting rows", for: Self.what) {
            Int(
                try await database.pool.query("SELECT count(*) FROM \(unescaped: table)")
                    .first?.decode(Int64.self) ?? 0)
        }
    }
}
