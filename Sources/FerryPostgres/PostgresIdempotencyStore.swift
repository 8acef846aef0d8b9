import Ferry
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// An idempotency store in PostgreSQL (`postgres://user:password@host:5432/database`), shared
/// by every consumer of a group on any machine: one row per key in `ferry_idempotency` (or `?table=NAME`). Each
/// reservation is one atomic upsert, so two consumers never both acquire a key.
public final class PostgresIdempotencyStore: IdempotencyStore {
    private let database: PostgresDatabase
    private let sweeps = SweepSchedule()
    private var table: String { database.table }
    private static let what = "idempotency store"

    public init(_ url: String, logger: Logger = Logger(label: "ferry.postgres")) throws {
        database = try PostgresDatabase(url, what: Self.what, table: "ferry_idempotency", logger: logger)
    }

    private func ready() async throws {
        try await database.create(
            [
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: table) (
                    key TEXT PRIMARY KEY, done BOOLEAN NOT NULL, expires BIGINT NOT NULL,
                    attempts BIGINT NOT NULL DEFAULT 0, outcome BYTEA)
                """,
                "CREATE INDEX IF NOT EXISTS \(unescaped: table)_expires ON \(unescaped: table) (expires)",
            ], for: Self.what)
    }

    public func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
        try await reserve([key], for: ttl)[0]
    }

    /// Two statements for the whole batch: the upsert that takes every free or expired key,
    /// then a look at the keys it did not take.
    public func reserve(_ keys: [String], for ttl: Duration) async throws -> [IdempotencyReservation] {
        guard !keys.isEmpty else { return [] }
        try await ready()
        let now = Self.milliseconds()
        let expires = now + ttl.microseconds / 1000
        let distinct = Array(Set(keys))
        return try await database.run("reserving \(keys.count) keys", for: Self.what) {
            var taken: [String: Int] = [:]
            let rows = try await database.pool.query(
                """
                INSERT INTO \(unescaped: table) AS i (key, done, expires, attempts)
                SELECT k, false, \(expires), 1 FROM unnest(\(distinct)::text[]) AS k
                ON CONFLICT (key) DO UPDATE SET done = false, expires = excluded.expires,
                    attempts = CASE WHEN i.done THEN 1 ELSE i.attempts + 1 END, outcome = NULL
                WHERE i.expires <= \(now)
                RETURNING key, attempts
                """)
            for row in rows {
                let (key, attempts) = try row.decode((String, Int64).self)
                taken[key] = Int(attempts)
            }
            var held: [String: Bool] = [:]
            let rest = distinct.filter { taken[$0] == nil }
            if !rest.isEmpty {
                let found = try await database.pool.query(
                    "SELECT key, done FROM \(unescaped: table) WHERE key = ANY(\(rest)::text[])")
                for row in found {
                    let (key, done) = try row.decode((String, Bool).self)
                    held[key] = done
                }
            }
            // The same key again in the batch finds it held, by the first.
            var seen: Set<String> = []
            return keys.map { key in
                guard seen.insert(key).inserted, let attempts = taken[key] else { return held[key] == true ? .done : .inProgress }
                return .acquired(attempt: attempts)
            }
        }
    }

    public func complete(_ key: String, retention: Duration) async throws {
        try await complete([key], retention: retention)
    }

    public func complete(_ keys: [String], retention: Duration) async throws {
        guard !keys.isEmpty else { return }
        try await mark(Array(Set(keys)), retention: retention, outcome: nil)
    }

    public func complete(_ key: String, retention: Duration, keeping outcome: Data) async throws {
        try await mark([key], retention: retention, outcome: outcome)
    }

    private func mark(_ keys: [String], retention: Duration, outcome: Data?) async throws {
        try await ready()
        let now = Self.milliseconds()
        let expires = now + retention.microseconds / 1000
        let sweep = sweeps.due(after: keys.count)
        try await database.run("marking \(keys.count) keys done", for: Self.what) {
            try await database.pool.query(
                """
                INSERT INTO \(unescaped: table) AS i (key, done, expires, attempts, outcome)
                SELECT k, true, \(expires), 0, \(outcome.map { ByteBuffer(bytes: $0) }) FROM unnest(\(keys)::text[]) AS k
                ON CONFLICT (key) DO UPDATE SET done = true, expires = excluded.expires, attempts = 0, outcome = excluded.outcome
                """)
            if sweep {
                // Marks past their retention; counts of reservations that ended without
                // completion are kept for a day.
                try await database.pool.query(
                    "DELETE FROM \(unescaped: table) WHERE (done AND expires <= \(now)) OR expires <= \(now - 86_400_000)")
            }
        }
    }

    /// Marks `delivery` handled on `connection`, inside the transaction of its effect (an
    /// inbox): the effect and the mark commit together, so a consumer that dies between the
    /// commit and the ack finds the event done when it comes back, and does not apply it again.
    /// `connection` must be on this store's database; the `Consumer` must use this store.
    public func complete(_ delivery: Delivery, on connection: PostgresConnection, retention: Duration = .seconds(86_400)) async throws {
        let key = try delivery.inboxKey()
        try await ready()
        let expires = Self.milliseconds() + retention.microseconds / 1000
        try await database.run("marking key \(key) done in the handler's transaction", for: Self.what) {
            try await connection.query(
                """
                INSERT INTO \(unescaped: table) AS i (key, done, expires, attempts) VALUES (\(key), true, \(expires), 0)
                ON CONFLICT (key) DO UPDATE SET done = true, expires = excluded.expires, attempts = 0
                """, logger: PostgresDatabase.quiet)
        }
    }

    public func outcome(of key: String) async throws -> Data? {
        try await ready()
        let now = Self.milliseconds()
        return try await database.run("reading the outcome of key \(key)", for: Self.what) {
            try await database.pool.query(
                "SELECT outcome FROM \(unescaped: table) WHERE key = \(key) AND done AND expires > \(now)"
            ).first.flatMap { try $0.decode(Data?.self) }
        }
    }

    public func release(_ key: String) async throws {
        try await ready()
        let now = Self.milliseconds()
        try await database.run("releasing key \(key)", for: Self.what) {
            try await database.pool.query(
                "UPDATE \(unescaped: table) SET expires = \(now) WHERE key = \(key) AND NOT done")
        }
    }

    public func forget(_ key: String) async throws {
        try await ready()
        try await database.run("forgetting key \(key)", for: Self.what) {
            try await database.pool.query(
                "DELETE FROM \(unescaped: table) WHERE key = \(key) AND NOT done")
        }
    }

    private static func milliseconds() -> Int64 { Event.micros(of: Date()) / 1000 }
}
