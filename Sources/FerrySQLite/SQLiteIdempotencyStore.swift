import Ferry
import Foundation
import GRDB

/// An idempotency store in a SQLite file: it survives restarts of the process on one machine
/// (`sqlite:///path/file.db` in configuration). For several processes on several machines,
/// use the Redis store.
public final class SQLiteIdempotencyStore: IdempotencyStore {
    private let database: DatabaseQueue
    private let writes = Locked(0)

    /// Opens (or creates) the store at `path`.
    public init(path: String) throws {
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            // WAL with synchronous=NORMAL: a process crash loses nothing committed, and a write
            // costs no fsync of its own (two writes per relayed event).
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            database = try DatabaseQueue(path: path, configuration: configuration)
            try database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS idempotency (
                        key TEXT PRIMARY KEY NOT NULL,
                        done INTEGER NOT NULL,
                        expires INTEGER NOT NULL)
                    """)
                try db.execute(sql: "CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency(expires)")
            }
        } catch {
            throw FerryError(
                .invalidEndpoint, "cannot open the SQLite idempotency store at '\(path)': \(error)",
                remedy: "check that the folder exists and is writable")
        }
    }

    public func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
        let now = Self.milliseconds()
        return try await database.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT done FROM idempotency WHERE key = ? AND expires > ?", arguments: [key, now]) {
                return (row["done"] as Int) == 1 ? .done : .inProgress
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO idempotency (key, done, expires) VALUES (?, 0, ?)",
                arguments: [key, now + ttl.microseconds / 1000])
            return .acquired
        }
    }

    public func complete(_ key: String, retention: Duration) async throws {
        let now = Self.milliseconds()
        let sweep = writes.withLock { count in
            count += 1
            return count % 1000 == 0
        }
        try await database.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO idempotency (key, done, expires) VALUES (?, 1, ?)",
                arguments: [key, now + retention.microseconds / 1000])
            if sweep { try db.execute(sql: "DELETE FROM idempotency WHERE expires <= ?", arguments: [now]) }
        }
    }

    public func release(_ key: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM idempotency WHERE key = ? AND done = 0", arguments: [key])
        }
    }

    private static func milliseconds() -> Int64 { Event.micros(of: Date()) / 1000 }
}
