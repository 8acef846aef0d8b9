import FerryConformance
import Foundation
import Logging
import Testing

@testable import Ferry

/// How an outbox reader settles rows when its database fails, with a table in memory (the
/// PostgreSQL and SQLite tables are tested against their databases in their own suites).
@Suite struct OutboxSourceTests {
    /// Rows in memory; `failing` makes retries and dead letters throw, as a database that
    /// went away does.
    final class Table: OutboxTable {
        let location = "memory-outbox"
        let rows = Locked<[Int64: OutboxRow]>([:])
        let failing = Locked(false)

        init(_ ids: ClosedRange<Int64>) {
            rows.withLock { rows in
                for id in ids {
                    rows[id] = OutboxRow(
                        id: id, body: try! StructuredFormat.encode(Event(source: "/t", type: "t", data: Data())), headers: [:],
                        attempt: 1, firstFailureMicros: nil)
                }
            }
        }

        func create() async throws {}
        func lead(as reader: String) async throws -> Bool { true }
        func resign(as reader: String) async {}
        func due(limit: Int, excluding: [Int64], now: Int64) async throws -> [OutboxRow] {
            rows.withLock { rows in Array(rows.values.filter { !excluding.contains($0.id) }.sorted { $0.id < $1.id }.prefix(limit)) }
        }
        func waitForRows(upTo limit: Duration, as reader: String) async { try? await Task.sleep(for: .milliseconds(10)) }
        func insert(_ rows: [OutboxRow.New]) async throws -> [Int64] { [] }
        func delete(_ ids: [Int64]) async throws { rows.withLock { rows in for id in ids { rows[id] = nil } } }
        func postpone(_ id: Int64, until due: Int64, attempt: Int, firstFailureMicros: Int64) async throws {
            if failing.withLock({ $0 }) { throw FerryError(.connectionFailed, "the database went away") }
            rows.withLock { $0[id]?.attempt = attempt }
        }
        func deadLetter(_ id: Int64, headers: [String: String]) async throws {
            if failing.withLock({ $0 }) { throw FerryError(.connectionFailed, "the database went away") }
            rows.withLock { $0[id] = nil }
        }
        func count() async throws -> Int { rows.withLock { $0.count } }
    }

    func retry() -> BrokerSettlement {
        .retry(Redelivery(delay: .zero, nextAttempt: 2, firstFailureMicros: 0, headers: [:]))
    }

    @Test func aRetryOrDeadLetterTheDatabaseRefusedComesAgain() async throws {
        let table = Table(1...2)
        let source = OutboxSource(table: table, options: SubscribeOptions(group: "g", prefetch: 10), logger: Logger(label: "test"))
        table.failing.withLock { $0 = true }
        let first = try #require(try await source.next())
        let second = try #require(try await source.next())
        await #expect(throws: FerryError.self) { try await first.handle.settle(self.retry()) }
        await #expect(throws: FerryError.self) { try await second.handle.settle(.deadLetter(headers: [:])) }

        table.failing.withLock { $0 = false }
        // Held by the reader instead, they would never come again while it leads.
        let again = try #require(try await within(.seconds(5), "the row refused a retry") { try await source.next() })
        let andAgain = try #require(try await within(.seconds(5), "the row refused a dead letter") { try await source.next() })
        #expect([again.handle.position.offset, andAgain.handle.position.offset] == ["1", "2"], "both rows are read again")
        try await again.handle.settle(retry())
        try await andAgain.handle.settle(.deadLetter(headers: [:]))
        #expect(table.rows.withLock { $0.keys.sorted() } == [1] && table.rows.withLock { $0[1]?.attempt } == 2)
        await source.close()
    }
}
