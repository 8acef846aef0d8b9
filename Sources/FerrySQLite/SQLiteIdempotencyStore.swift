import Ferry
import Foundation
import GRDB

/// An idempotency store in a SQLite file: it survives restarts of the process on one machine
/// (`sqlite:///path/file.db` in configuration). For several processes on several machines,
/// use the Redis store.
public final class SQLiteIdempotencyStore: IdempotencyStore {
    private let database: DatabaseQueue
    private let sweeps = SweepSchedule()

    /// Opens (or creates) the store at `path`.
    public init(path: String) throws {
        database = try SQLiteFile.open(path, for: "idempotency store") { db in
            // WITHOUT ROWID: rows live in the key's own B-tree, one tree to write instead of two.
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS idempotency (
                        key TEXT PRIMARY KEY NOT NULL,
                        done INTEGER NOT NULL,
                        expires INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        outcome BLOB)
                    WITHOUT ROWID
                    """)
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency(expires)")
            // A store written by an older Ferry gets the columns added since.
            let columns = Set(try db.columns(in: "idempotency").map(\.name))
            if !columns.contains("attempts") {
                try db.execute(sql: "ALTER TABLE idempotency ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")
            }
            if !columns.contains("outcome") { try db.execute(sql: "ALTER TABLE idempotency ADD COLUMN outcome BLOB") }
        }
    }

    public func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
        try await reserve([key], for: ttl)[0]
    }

    /// One transaction, and two statements per 300 keys.
    public func reserve(_ keys: [String], for ttl: Duration) async throws -> [IdempotencyReservation] {
        guard !keys.isEmpty else { return [] }
        let now = Self.milliseconds()
        let expires = now + ttl.microseconds / 1000
        return try await database.write { db in
            var held: [String: (done: Bool, expires: Int64, attempts: Int)] = [:]
            for chunk in Self.chunks(of: keys, size: Self.rowsPerStatement) {
                let find = try db.cachedStatement(
                    sql: "SELECT key, done, expires, attempts FROM idempotency WHERE key IN (\(Self.placeholders("?", chunk.count)))")
                let rows = try Row.fetchCursor(find, arguments: StatementArguments(chunk))
                while let row = try rows.next() { held[row["key"]] = ((row["done"] as Int) == 1, row["expires"], row["attempts"]) }
            }
            var taken: [(key: String, attempts: Int)] = []
            let reservations = keys.map { key -> IdempotencyReservation in
                var attempts = 1
                if let row = held[key] {
                    if row.expires > now { return row.done ? .done : .inProgress }
                    if !row.done { attempts = row.attempts + 1 }  // released, or its holder crashed
                }
                held[key] = (false, expires, attempts)  // the same key again in the batch finds it held
                taken.append((key, attempts))
                return .acquired(attempt: attempts)
            }
            for chunk in Self.chunks(of: taken, size: Self.rowsPerStatement) {
                let take = try db.cachedStatement(
                    sql: """
                        INSERT INTO idempotency (key, done, expires, attempts) VALUES \(Self.placeholders("(?, 0, ?, ?)", chunk.count))
                        ON CONFLICT (key) DO UPDATE SET done = 0, expires = excluded.expires, attempts = excluded.attempts
                        """)
                try take.execute(
                    arguments: StatementArguments(
                        chunk.flatMap { row -> [any DatabaseValueConvertible] in [row.key, expires, row.attempts] }))
            }
            return reservations
        }
    }

    public func complete(_ key: String, retention: Duration) async throws {
        try await complete([key], retention: retention)
    }

    /// One transaction, and one statement per 300 keys.
    public func complete(_ keys: [String], retention: Duration) async throws {
        guard !keys.isEmpty else { return }
        let now = Self.milliseconds()
        let expires = now + retention.microseconds / 1000
        let sweep = sweeps.due(after: keys.count)
        try await database.write { db in
            for chunk in Self.chunks(of: keys, size: Self.rowsPerStatement) {
                let mark = try db.cachedStatement(
                    sql: """
                        INSERT INTO idempotency (key, done, expires) VALUES \(Self.placeholders("(?, 1, ?)", chunk.count))
                        ON CONFLICT (key) DO UPDATE SET done = 1, expires = excluded.expires, attempts = 0, outcome = NULL
                        """)
                try mark.execute(arguments: StatementArguments(chunk.flatMap { key -> [any DatabaseValueConvertible] in [key, expires] }))
            }
            if sweep { try Self.sweep(db, now: now) }
        }
    }

    /// Deletes marks past their retention; counts of reservations that ended without
    /// completion are kept for a day.
    private static func sweep(_ db: Database, now: Int64) throws {
        try db.execute(
            sql: "DELETE FROM idempotency WHERE (done = 1 AND expires <= ?) OR expires <= ?", arguments: [now, now - 86_400_000])
    }

    public func complete(_ key: String, retention: Duration, keeping outcome: Data) async throws {
        let now = Self.milliseconds()
        let expires = now + retention.microseconds / 1000
        let sweep = sweeps.due(after: 1)
        try await database.write { db in
            if sweep { try Self.sweep(db, now: now) }
            try db.execute(
                sql: """
                    INSERT INTO idempotency (key, done, expires, outcome) VALUES (?, 1, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET done = 1, expires = excluded.expires, attempts = 0, outcome = excluded.outcome
                    """, arguments: [key, expires, outcome])
        }
    }

    /// Marks `delivery` handled in `db`, inside the transaction of its effect (an inbox): the
    /// effect and the mark commit together, so a consumer that dies between the commit and the
    /// ack finds the event done when it comes back. `db` must be this store's file; the
    /// `Consumer` must use this store.
    public func complete(_ delivery: Delivery, in db: Database, retention: Duration = .seconds(86_400)) throws {
        let key = try delivery.inboxKey()
        try db.execute(
            sql: """
                INSERT INTO idempotency (key, done, expires) VALUES (?, 1, ?)
                ON CONFLICT (key) DO UPDATE SET done = 1, expires = excluded.expires, attempts = 0
                """, arguments: [key, Self.milliseconds() + retention.microseconds / 1000])
    }

    public func outcome(of key: String) async throws -> Data? {
        let now = Self.milliseconds()
        return try await database.read { db in
            try Data.fetchOne(
                db, sql: "SELECT outcome FROM idempotency WHERE key = ? AND done = 1 AND expires > ?", arguments: [key, now])
        }
    }

    public func release(_ key: String) async throws {
        let now = Self.milliseconds()
        try await database.write { db in
            try db.execute(sql: "UPDATE idempotency SET expires = ? WHERE key = ? AND done = 0", arguments: [now, key])
        }
    }

    public func forget(_ key: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM idempotency WHERE key = ? AND done = 0", arguments: [key])
        }
    }

    private static func milliseconds() -> Int64 { Event.micros(of: Date()) / 1000 }

    /// Rows per statement: a statement per key would cost more than the rows themselves, and
    /// 300 rows of three values stay under SQLite's oldest limit of 999 parameters. Statements
    /// are cached per batch size (batches mostly come in a few sizes).
    private static let rowsPerStatement = 300

    private static func chunks<T>(of items: [T], size: Int) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<min($0 + size, items.count)] }
    }

    /// `row` repeated `count` times, comma-separated.
    private static func placeholders(_ row: String, _ count: Int) -> String {
        Array(repeating: row, count: count).joined(separator: ", ")
    }
}
