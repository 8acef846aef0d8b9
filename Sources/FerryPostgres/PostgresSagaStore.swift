import Ferry
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Saga instances in PostgreSQL (`postgres://user:password@host:5432/database`), shared by
/// every process of a saga on any machine: one row per instance in `ferry_sagas` (or `?table=NAME`), written only
/// where the version is the one read.
public final class PostgresSagaStore: SagaStore {
    private let database: PostgresDatabase
    private var table: String { database.table }
    private static let what = "saga store"

    public init(_ url: String, logger: Logger = Logger(label: "ferry.postgres")) throws {
        database = try PostgresDatabase(url, what: Self.what, table: "ferry_sagas", logger: logger)
    }

    private func ready() async throws {
        try await database.create(
            [
                """
                CREATE TABLE IF NOT EXISTS \(unescaped: table) (
                    saga TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL, updated BIGINT NOT NULL,
                    record BYTEA NOT NULL, PRIMARY KEY (saga, id))
                """,
                "CREATE INDEX IF NOT EXISTS \(unescaped: table)_updated ON \(unescaped: table) (saga, updated)",
            ], for: Self.what)
    }

    public func load(saga: String, id: String) async throws -> SagaRecord? {
        try await records(
            "reading instance \(id) of saga \(saga)", "SELECT record FROM \(unescaped: table) WHERE saga = \(saga) AND id = \(id)"
        )
        .first
    }

    public func save(_ record: SagaRecord, expected: Int) async throws -> Bool {
        try await ready()
        let bytes = ByteBuffer(bytes: try JSONEncoder().encode(record))
        let (version, updated) = (Int64(record.version), record.updatedMicros)
        let query: PostgresQuery =
            expected == 0
            ? """
            INSERT INTO \(unescaped: table) (saga, id, version, updated, record) VALUES (\(record.saga), \(record.id), \(version), \(updated), \(bytes))
            ON CONFLICT (saga, id) DO NOTHING RETURNING version
            """
            : """
            UPDATE \(unescaped: table) SET version = \(version), updated = \(updated), record = \(bytes)
            WHERE saga = \(record.saga) AND id = \(record.id) AND version = \(Int64(expected)) RETURNING version
            """
        return try await database.run("saving instance \(record.id) of saga \(record.saga)", for: Self.what) {
            try await database.pool.query(query).count == 1
        }
    }

    public func list(saga: String, limit: Int) async throws -> [SagaRecord] {
        try await records(
            "listing saga \(saga)",
            "SELECT record FROM \(unescaped: table) WHERE saga = \(saga) ORDER BY updated DESC LIMIT \(Int64(max(0, limit)))")
    }

    public func sagas() async throws -> [String] {
        try await ready()
        return try await database.run("listing sagas", for: Self.what) {
            try await database.pool.query("SELECT DISTINCT saga FROM \(unescaped: table) ORDER BY saga").map { try $0.decode(String.self) }
        }
    }

    private func records(_ doing: String, _ query: PostgresQuery) async throws -> [SagaRecord] {
        try await ready()
        let rows = try await database.run(doing, for: Self.what) {
            try await database.pool.query(query).map { try $0.decode(Data.self) }
        }
        return try rows.map { bytes in
            do {
                return try JSONDecoder().decode(SagaRecord.self, from: bytes)
            } catch {
                throw FerryError(
                    .malformedEnvelope, "a saga record in the PostgreSQL store at \(database.location) does not decode: \(error)")
            }
        }
    }
}
