import Ferry
import Foundation
import Testing

@testable import FerryRedis

/// The Redis consumer's state machine, without a server.
@Suite struct RedisConsumerStateTests {
    func entry(_ id: String) -> (entry: RedisEntry, attempt: Int) { (RedisEntry(id: id, fields: []), 1) }

    @Test func aRetryIsDueAtItsTimeWithItsAttemptAndFirstFailure() {
        var state = RedisConsumerState()
        state.accept([entry("1-0"), entry("2-0")])
        guard case .message(let first) = state.next() else {
            Issue.record("first entry")
            return
        }
        #expect(first.firstFailureMicros == nil)
        state.retry("1-0", due: 500, attempt: 2, firstFailure: 100)
        #expect(state.takeDue(now: 499).isEmpty, "not due yet")
        #expect(state.takeDue(now: 500).map(\.attempt) == [2])
        #expect(state.takeDue(now: 600).isEmpty, "taken once")
        state.accept([(RedisEntry(id: "1-0", fields: []), 2)])
        _ = state.next()  // 2-0
        guard case .message(let again) = state.next() else {
            Issue.record("the retried entry")
            return
        }
        #expect(again.entry.id == "1-0")
        #expect(again.firstFailureMicros == 100, "kept for the dead-letter record")
    }

    @Test func ownHeldEntriesAreNoOrphans() {
        var state = RedisConsumerState()
        state.accept([entry("1-0")])
        _ = state.next()
        #expect(state.orphans(["1-0", "9-0"]) == ["9-0"], "an entry this member holds is not reclaimed from itself")
        state.settled("1-0")
        #expect(state.orphans(["1-0"]) == ["1-0"])
    }

    @Test func closingEndsTheConsumer() {
        var state = RedisConsumerState()
        state.close()
        guard case .closed = state.next() else {
            Issue.record("closed")
            return
        }
    }
}
