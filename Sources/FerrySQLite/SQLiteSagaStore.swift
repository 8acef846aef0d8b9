import Ferry
import Foundation
import GRDB

/// Saga instances in a SQLite file (`sqlite:///path/file.db`, the same file as the idempotency
/// store may be used): one row per instance, written only where the version is the one read.
public final class SQLiteSagaStore: SagaStore {
    private let database: DatabaseQueue

    public init(path: String) throws {
        database = try SQLiteFile.open(path, for: "saga store") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS sagas (
                        saga TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, updated INTEGER NOT NULL,
                        record BLOB NOT NULL, PRIMARY KEY (saga, id))
                    WITHOUT ROWID
                    """)
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS sagas_updated ON sagas(saga, updated)")
        }
    }

    public func load(saga: String, id: String) async throws -> SagaRecord? {
        let row = try await database.read { db in
            try Data.fetchOne(db, sql: "SELECT record FROM sagas WHERE saga = ? AND id = ?", arguments: [saga, id])
        }
        return try row.map(Self.decode)
    }

    public func save(_ record: SagaRecord, expected: Int) async throws -> Bool {
        let bytes = try JSONEncoder().encode(record)
        return try await database.write { db in
            if expected == 0 {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO sagas (saga, id, version, updated, record) VALUES (?, ?, ?, ?, ?)",
                    arguments: [record.saga, record.id, record.version, record.updatedMicros, bytes])
            } else {
                try db.execute(
                    sql: "UPDATE sagas SET version = ?, updated = ?, record = ? WHERE saga = ? AND id = ? AND version = ?",
                    arguments: [record.version, record.updatedMicros, bytes, record.saga, record.id, expected])
            }
            return db.changesCount == 1
        }
    }

    public func list(saga: String, limit: Int) async throws -> [SagaRecord] {
        let rows = try await database.read { db in
            try Data.fetchAll(
                db, sql: "SELECT record FROM sagas WHERE saga = ? ORDER BY updated DESC LIMIT ?", arguments: [saga, max(0, limit)])
        }
        return try rows.map(Self.decode)
    }

    public func sagas() async throws -> [String] {
        try await database.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT saga FROM sagas ORDER BY saga") }
    }

    private static func decode(_ bytes: Data) throws -> SagaRecord {
        do {
            return try JSONDecoder().decode(SagaRecord.self, from: bytes)
        } catch {
            throw FerryError(.malformedEnvelope, "a saga record in the SQLite store does not decode: \(error)")
        }
    }
}
