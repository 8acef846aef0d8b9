import Ferry
import Foundation

/// What every saga store must do, checked the same way for memory, SQLite and Redis.
public enum SagaStoreContract {
    static func record(_ saga: String, _ id: String, version: Int, state: String, at micros: Int64) -> SagaRecord {
        SagaRecord(saga: saga, id: id, version: version, state: Data(state.utf8), updatedMicros: micros)
    }

    /// A first save only where there is none; each later one only on the version read.
    public static func savesOnlyOnTheVersionRead(_ store: any SagaStore) async throws {
        let saga = "order-\(UUID().uuidString.prefix(8))"
        try expectEqual(try await store.load(saga: saga, id: "o-1"), nil, "nothing yet")
        var first = record(saga, "o-1", version: 1, state: #"{"step":"pay"}"#, at: 1_000)
        first.record(Event(id: "in-1", source: "/t", type: "order.placed"), "started")
        try expect(try await store.save(first, expected: 0), "the first save")
        try expectEqual(try await store.load(saga: saga, id: "o-1"), first, "read back whole")
        try expect(!(try await store.save(record(saga, "o-1", version: 1, state: "{}", at: 1_001), expected: 0)), "a second first save")
        let second = record(saga, "o-1", version: 2, state: #"{"step":"ship"}"#, at: 2_000)
        try expect(try await store.save(second, expected: 1), "a save on the version read")
        try expect(!(try await store.save(record(saga, "o-1", version: 2, state: "{}", at: 2_001), expected: 1)), "a stale save")
        try expectEqual(try await store.load(saga: saga, id: "o-1"), second, "the winner stays")
        let odd = record(saga, "id with spaces, ünïcode and : colons", version: 1, state: "\u{0}\u{1}binary", at: 3_000)
        try expect(try await store.save(odd, expected: 0), "any id and state bytes")
        try expectEqual(try await store.load(saga: saga, id: odd.id), odd, "read back")
    }

    /// Of writers racing on one version, exactly one wins.
    public static func oneOfConcurrentWritersWins(_ store: any SagaStore) async throws {
        let saga = "race-\(UUID().uuidString.prefix(8))"
        try expect(try await store.save(record(saga, "x", version: 1, state: "{}", at: 1), expected: 0), "the first save")
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for writer in 0..<12 {
                group.addTask { try await store.save(record(saga, "x", version: 2, state: "\(writer)", at: 2), expected: 1) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        try expectEqual(wins, 1, "writers that won")
    }

    /// The instances of one saga, the most recently updated first.
    public static func listsTheNewestFirst(_ store: any SagaStore) async throws {
        let saga = "list-\(UUID().uuidString.prefix(8))"
        for (index, id) in ["a", "b", "c"].enumerated() {
            try expect(try await store.save(record(saga, id, version: 1, state: "{}", at: Int64(10 + index)), expected: 0), "save \(id)")
        }
        try expect(try await store.save(record(saga, "a", version: 2, state: "{}", at: 20), expected: 1), "update a")
        try expect(try await store.save(record("other-\(saga)", "z", version: 1, state: "{}", at: 30), expected: 0), "another saga")
        try expectEqual(try await store.list(saga: saga, limit: 10).map(\.id), ["a", "c", "b"], "newest first, this saga only")
        try expectEqual(try await store.list(saga: saga, limit: 2).map(\.id), ["a", "c"], "at most the limit")
        let names = try await store.sagas()
        try expect(names.contains(saga) && names.contains("other-\(saga)"), "the sagas kept here: \(names)")
    }
}
