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

    /// SQLite stores any type in any column: a row another program wrote with the wrong types
    /// is dead-lettered, and the rows after it still go out.
    @Test func aRowOfTheWrongTypesIsDeadLetteredNotATrap() async throws {
        let publisher = try await transport.makePublisher(for: try endpoint)
        _ = try await publisher.publish([Event(source: "/t", type: "before")])
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO ferry_outbox (event, headers, attempt, due) VALUES (x'FF00', x'FFFE', 'many', 0)")
        }
        _ = try await publisher.publish([Event(source: "/t", type: "after")])
        let subscription = try await transport.subscribe(to: try endpoint, options: SubscribeOptions(group: "relay"))
        defer { Task { await subscription.close() } }
        let got = try await subscription.take(2, within: .seconds(30), "the two events around the bad row")
        #expect(got.map(\.event.type) == ["before", "after"])
        for delivery in got { try await delivery.ack() }
        let dlq = try transport.deadLetterEndpoint(for: try endpoint)
        try await eventually(.seconds(10), "the bad row dead-lettered") { try await transport.lag(of: dlq, group: "g").map(\.lag) == [1] }
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
