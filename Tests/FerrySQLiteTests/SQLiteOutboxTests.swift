import Ferry
import FerryConformance
import FerrySQLite
import Foundation
import GRDB
import Testing

/// The SQLite outbox: the contract every outbox table meets, and the transaction it rides.
@Suite struct SQLiteOutboxTests {
    let transport = SQLiteOutbox.transport()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/outbox.db").path

    var endpoint: Endpoint { get throws { try Endpoint("sqlite://\(path)?table=ferry_outbox") } }

    @Test func drainsInOrderAndDeletesOnlyWhatWasAcked() async throws {
        try await OutboxContract.drainsInOrderAndDeletesOnlyWhatWasAcked(transport, try endpoint)
    }

    @Test func retriesAndDeadLettersRows() async throws {
        try await OutboxContract.retriesAndDeadLettersRows(transport, try endpoint)
    }

    @Test func oneReaderAtATimeAndATakeover() async throws {
        try await OutboxContract.oneReaderAtATimeAndATakeover(transport, try endpoint)
    }

    @Test func aRolledBackTransactionAddsNoEvent() async throws {
        struct Rollback: Error {}
        let database = try DatabaseQueue(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("ferry-shop-\(UUID().uuidString).db").path)
        let outbox = try SQLiteOutbox()
        try await database.write { db in
            try outbox.create(in: db)
            try db.execute(sql: "CREATE TABLE orders (id TEXT PRIMARY KEY)")
        }
        let lost = Event(source: "/orders", type: "order.placed", subject: "o-1")
        await #expect(throws: Rollback.self) {
            try await database.write { db in
                try db.execute(sql: "INSERT INTO orders VALUES ('o-1')")
                try outbox.add([lost], in: db)
                throw Rollback()
            }
        }
        let placed = Event(source: "/orders", type: "order.placed", subject: "o-2")
        try await database.write { db in
            try db.execute(sql: "INSERT INTO orders VALUES ('o-2')")
            try outbox.add([placed], in: db)
        }
        #expect(try await database.read { db in try String.fetchAll(db, sql: "SELECT id FROM orders") } == ["o-2"])
        let shop = try Endpoint("sqlite://\(database.path)?table=ferry_outbox")
        #expect(try await transport.lag(of: shop, group: "relay").map(\.lag) == [1], "one row: the committed one")
        let subscription = try await transport.subscribe(to: shop, options: SubscribeOptions(group: "relay"))
        defer { Task { await subscription.close() } }
        let got = try await subscription.take(1, within: .seconds(30), "the committed event")
        #expect(got[0].event.id == placed.id)
        try await got[0].ack()
    }
}
