import Ferry
import FerryConformance
import FerrySQLite
import Foundation
import GRDB
import Logging
import Testing

@Suite struct SQLiteIdempotencyStoreTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/idempotency.db").path

    /// Two relays started at once on one new store file: each opens it (one switched it to WAL
    /// while the other was refused "database is locked", and that relay exited).
    @Test func storesOpeningOneNewFileAtOnceAllOpenIt() throws {
        for round in 0..<30 {
            let file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("\(round).db").path
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { _ = try SQLiteIdempotencyStore(path: file) } catch { failures.withLock { $0.append("\(error)") } }
            }
            #expect(failures.withLock { $0 } == [], "round \(round)")
        }
    }

    /// An inbox: the handler's effect and the done mark commit in one transaction of the
    /// store's file; a transaction rolled back leaves the key free, its effect undone.
    @Test func aHandlersTransactionMarksItsEventDone() async throws {
        let store = try SQLiteIdempotencyStore(path: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let database = try DatabaseQueue(path: path, configuration: configuration)
        try await database.write { db in try db.execute(sql: "CREATE TABLE deposits (event TEXT NOT NULL)") }
        let transport = MemoryTransport()
        let endpoint = try Endpoint("memory://inbox-\(UUID().uuidString.prefix(8))")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "bank"))
        defer { Task { await subscription.close() } }
        _ = try await transport.makePublisher(for: endpoint).publish([
            Event(source: "/t", type: "deposit"), Event(source: "/t", type: "deposit"),
        ])
        let marks = Locked<[IdempotencyReservation]>([])
        let consumer = Consumer(subscription: subscription, options: ConsumerOptions(idempotency: store), logger: Logger(label: "test")) {
            delivery in
            let key = try #require(delivery.idempotencyKey)
            let rollback = marks.withLock { $0.isEmpty }  // the first deposit's transaction is rolled back
            struct Undone: Error {}
            do {
                try await database.write { db in
                    try db.execute(sql: "INSERT INTO deposits VALUES (?)", arguments: [delivery.event.id])
                    try store.complete(delivery, in: db)
                    if rollback { throw Undone() }
                }
            } catch is Undone {}
            let mark = try await store.reserve(key, for: .seconds(1))
            marks.withLock { $0.append(mark) }
        }
        for delivery in try await subscription.take(2, within: .seconds(10), "both deposits") {
            #expect(try await consumer.process(delivery) == .handled)
        }
        #expect(marks.withLock { $0 } == [.inProgress, .done], "rolled back: still held by the handler; committed: done at once")
        #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM deposits") } == 1)
    }

    @Test func reserveCompleteRelease() async throws {
        try await IdempotencyStoreContract.reserveCompleteRelease(try SQLiteIdempotencyStore(path: path))
    }

    @Test func anExpiredReservationCanBeTakenAgain() async throws {
        try await IdempotencyStoreContract.expiredReservationIsFree(try SQLiteIdempotencyStore(path: path))
    }

    @Test func aForgottenKeyCountsAfresh() async throws {
        try await IdempotencyStoreContract.forgetStartsAfresh(try SQLiteIdempotencyStore(path: path))
    }

    @Test func keepsAnOutcomeWithTheDoneMark() async throws {
        try await IdempotencyStoreContract.keepsAnOutcomeWithTheDoneMark(try SQLiteIdempotencyStore(path: path))
    }

    @Test func batchesActAsOneCallPerKey() async throws {
        try await IdempotencyStoreContract.batchesActAsOneCallPerKey(try SQLiteIdempotencyStore(path: path))
    }

    @Test func keysSurviveARestart() async throws {
        do {
            let before = try SQLiteIdempotencyStore(path: path)
            _ = try await before.reserve("kept", for: .seconds(30))
            try await before.complete("kept", retention: .seconds(60))
        }
        let after = try SQLiteIdempotencyStore(path: path)  // a new process opening the same file
        #expect(try await after.reserve("kept", for: .seconds(30)) == .done)
    }

    @Test func anUnwritablePathIsNamed() {
        let error = #expect(throws: FerryError.self) { try SQLiteIdempotencyStore(path: "/proc/ferry/nope.db") }
        #expect(error?.message.contains("/proc/ferry/nope.db") == true)
    }
}
