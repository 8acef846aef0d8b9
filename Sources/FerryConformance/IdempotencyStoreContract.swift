import Ferry
import Foundation

/// What every idempotency store must do, checked the same way for memory, SQLite and Redis.
public enum IdempotencyStoreContract {
    /// Reserve, release, reserve again, complete, and a done mark that outlives a release.
    public static func reserveCompleteRelease(_ store: any IdempotencyStore) async throws {
        try expectEqual(try await store.reserve("a", for: .seconds(30)), .acquired(attempt: 1), "first reserve")
        try expectEqual(try await store.reserve("a", for: .seconds(30)), .inProgress, "reserve while held")
        try await store.release("a")
        try expectEqual(try await store.reserve("a", for: .seconds(30)), .acquired(attempt: 2), "reserve after release counts on")
        try await store.complete("a", retention: .seconds(60))
        try await store.release("a")  // a done mark is never released
        try await store.forget("a")  // nor forgotten
        try expectEqual(try await store.reserve("a", for: .seconds(30)), .done, "reserve after complete")
    }

    /// A reservation whose holder crashed expires and can be taken again, as the next attempt.
    public static func expiredReservationIsFree(_ store: any IdempotencyStore) async throws {
        try expectEqual(try await store.reserve("crashed", for: .milliseconds(100)), .acquired(attempt: 1), "first reserve")
        try await Task.sleep(for: .milliseconds(250))  // the reservation's own expiry is what is checked
        try expectEqual(try await store.reserve("crashed", for: .seconds(30)), .acquired(attempt: 2), "reserve after expiry")
    }

    /// A forgotten key (its event was dead-lettered) starts counting afresh.
    public static func forgetStartsAfresh(_ store: any IdempotencyStore) async throws {
        try expectEqual(try await store.reserve("dead", for: .seconds(30)), .acquired(attempt: 1), "first reserve")
        try await store.release("dead")
        try expectEqual(try await store.reserve("dead", for: .seconds(30)), .acquired(attempt: 2), "second reserve")
        try await store.forget("dead")
        try expectEqual(try await store.reserve("dead", for: .seconds(30)), .acquired(attempt: 1), "reserve after forget")
    }

    /// A batch is reserved and completed as one call per key in turn would: a key repeated in
    /// the batch is in progress the second time, and a done key stays done.
    public static func batchesActAsOneCallPerKey(_ store: any IdempotencyStore) async throws {
        try expectEqual(
            try await store.reserve(["b1", "b2", "b1"], for: .seconds(30)), [.acquired(attempt: 1), .acquired(attempt: 1), .inProgress],
            "first batch")
        try await store.complete(["b1"], retention: .seconds(60))
        try await store.release("b2")
        try expectEqual(
            try await store.reserve(["b1", "b2", "b3"], for: .seconds(30)), [.done, .acquired(attempt: 2), .acquired(attempt: 1)],
            "second batch")
        try await store.complete(["b2", "b3"], retention: .seconds(60))
        try expectEqual(try await store.reserve(["b2", "b3"], for: .seconds(30)), [.done, .done], "after completing the batch")
        let many = (0..<700).map { "many-\($0)" }  // more than one statement's worth
        try expectEqual(try await store.reserve(many, for: .seconds(30)), many.map { _ in .acquired(attempt: 1) }, "a large batch")
        try expectEqual(try await store.reserve(many, for: .seconds(30)), many.map { _ in .inProgress }, "a large batch again")
        try await store.complete(many, retention: .seconds(60))
        try expectEqual(try await store.reserve(many, for: .seconds(30)), many.map { _ in .done }, "a large batch done")
        try expectEqual(try await store.reserve([], for: .seconds(30)), [], "an empty batch")
        try await store.complete([], retention: .seconds(60))
    }

    /// A done mark keeps its outcome (a command's reply, any bytes) for as long as it lasts; a key
    /// that is only reserved, or completed without one, has none, and the mark stays done.
    public static func keepsAnOutcomeWithTheDoneMark(_ store: any IdempotencyStore) async throws {
        let reply = Data([0, 1, 2, 255]) + Data("done:r:1:2 {\"ok\":true}".utf8)
        try expectEqual(try await store.reserve("cmd", for: .seconds(30)), .acquired(attempt: 1), "reserve")
        try expectEqual(try await store.outcome(of: "cmd"), nil, "no outcome while reserved")
        try await store.complete("cmd", retention: .seconds(60), keeping: reply)
        try expectEqual(try await store.outcome(of: "cmd"), reply, "the outcome kept")
        try expectEqual(try await store.reserve("cmd", for: .seconds(30)), .done, "done with an outcome")
        try await store.forget("cmd")  // a done mark is never forgotten, nor its outcome
        try expectEqual(try await store.outcome(of: "cmd"), reply, "kept after forget")
        try await store.complete("plain", retention: .seconds(60))
        try expectEqual(try await store.outcome(of: "plain"), nil, "completed without an outcome")
        try await store.complete("short", retention: .milliseconds(100), keeping: reply)
        try await Task.sleep(for: .milliseconds(250))  // the mark's own expiry is what is checked
        try expectEqual(try await store.outcome(of: "short"), nil, "gone with its mark")
        try expectEqual(try await store.reserve("short", for: .seconds(30)), .acquired(attempt: 1), "free again")
    }
}
