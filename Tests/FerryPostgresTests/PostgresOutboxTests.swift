import Ferry
import FerryConformance
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import FerryPostgres

/// The PostgreSQL outbox: the contract every outbox table meets, and the transaction it rides.
@Suite(.enabled(if: postgresURL != nil, "needs FERRY_POSTGRES_URL (scripts/test sets it)"))
struct PostgresOutboxTests {
    let transport = PostgresOutbox.transport()
    let table = "outbox_\(UUID().uuidString.prefix(8).lowercased())"

    var endpoint: Endpoint { get throws { try Endpoint(postgresURL! + (postgresURL!.contains("?") ? "&" : "?") + "table=\(table)") } }

    @Test func drainsInOrderAndDeletesOnlyWhatWasAcked() async throws {
        try await OutboxContract.drainsInOrderAndDeletesOnlyWhatWasAcked(transport, try endpoint)
    }

    @Test func retriesAndDeadLettersRows() async throws {
        try await OutboxContract.retriesAndDeadLettersRows(transport, try endpoint)
    }

    @Test func oneReaderAtATimeAndATakeover() async throws {
        try await OutboxContract.oneReaderAtATimeAndATakeover(transport, try endpoint)
    }

    /// A committed insert wakes the lease holder through LISTEN/NOTIFY: its wait for rows ends
    /// within 20 s, where without a notification it lasts 30.
    @Test func anInsertWakesTheReaderThatHoldsTheLease() async throws {
        let outbox = try PostgresOutboxTable(try endpoint, logger: Logger(label: "test"))
        try await outbox.create()
        #expect(try await outbox.lead(as: "reader"))
        defer { Task { await outbox.resign(as: "reader") } }
        let woken = Locked(false)
        Task {
            await outbox.waitForRows(upTo: .seconds(30), as: "reader")
            woken.withLock { $0 = true }
        }
        // Inserted until one is heard: the LISTEN starts a moment after the lease is taken.
        try await eventually(.seconds(20), "the wait woken by an insert") {
            if woken.withLock({ $0 }) { return true }
            _ = try await outbox.insert([try OutboxRow.New(Event(source: "/t", type: "t"))])
            return false
        }
    }

    /// The business change and its event commit together: a transaction rolled back leaves
    /// neither; one committed leaves both, and the event is relayed.
    @Test func aRolledBackTransactionAddsNoEvent() async throws {
        struct Rollback: Error {}
        let server = try endpoint
        let client = PostgresClient(
            configuration: .init(
                host: server.hosts[0].name, port: server.hosts[0].port ?? 5432, username: server.user ?? "ferry", password: server.password,
                database: server.path, tls: .disable), backgroundLogger: Logger(label: "test"))
        let running = Task { await client.run() }
        defer { running.cancel() }
        let logger = Logger(label: "test")
        let outbox = try PostgresOutbox(table: table)
        let orders = "\(table)_orders"
        try await client.withConnection { connection in
            try await outbox.create(on: connection)
            try await connection.query("CREATE TABLE \(unescaped: orders) (id TEXT PRIMARY KEY)", logger: logger)
        }
        let lost = Event(source: "/orders", type: "order.placed", subject: "o-1")
        await #expect(throws: PostgresTransactionError.self) {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("INSERT INTO \(unescaped: orders) VALUES ('o-1')", logger: logger)
                try await outbox.add([lost], on: connection)
                throw Rollback()
            }
        }
        let placed = Event(source: "/orders", type: "order.placed", subject: "o-2")
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("INSERT INTO \(unescaped: orders) VALUES ('o-2')", logger: logger)
            try await outbox.add([placed], on: connection)
        }
        let kept = try await client.query("SELECT id FROM \(unescaped: orders)", logger: logger).collect().map {
            try $0.decode(String.self)
        }
        #expect(kept == ["o-2"])
        #expect(try await transport.lag(of: try endpoint, group: "relay").map(\.lag) == [1], "one row: the committed one")
        let subscription = try await transport.subscribe(to: try endpoint, options: SubscribeOptions(group: "relay"))
        defer { Task { await subscription.close() } }
        let got = try await subscription.take(1, within: .seconds(30), "the committed event")
        #expect(got[0].event.id == placed.id)
        try await got[0].ack()
    }
}
