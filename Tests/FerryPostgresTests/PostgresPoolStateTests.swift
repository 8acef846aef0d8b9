import Testing

@testable import FerryPostgres

/// Who gets which connection, without a database: connections are numbers, waiters names.
@Suite struct PostgresPoolStateTests {
    typealias State = PostgresPoolState<Int, String>

    func isConnect(_ lease: State.Lease) -> Bool {
        if case .connect = lease { return true }
        return false
    }

    @Test func opensUpToTheMaximumThenCallersWaitTheirTurn() {
        var state = State(maximum: 2)
        #expect(isConnect(state.lease(1, "a")) && isConnect(state.lease(2, "b")))
        guard case .wait = state.lease(3, "c"), case .wait = state.lease(4, "d") else {
            Issue.record("a third and fourth caller wait")
            return
        }
        guard case .give(7, to: "c") = state.release(7) else {
            Issue.record("the first waiter gets the connection given back")
            return
        }
        guard case .connect(for: "d") = state.release(nil) else {
            Issue.record("the slot of a connection that is gone goes to the next waiter, who opens one")
            return
        }
        #expect(state.open == 2)
    }

    @Test func aConnectionGivenBackIsReusedAndAGoneOneFreesItsSlot() {
        var state = State(maximum: 1)
        #expect(isConnect(state.lease(1, "a")))
        guard case .none = state.release(5), case .reuse(5) = state.lease(2, "b") else {
            Issue.record("an idle connection is handed out again")
            return
        }
        guard case .none = state.release(nil) else {
            Issue.record("nobody waits")
            return
        }
        #expect(state.open == 0)
        #expect(isConnect(state.lease(3, "c")), "the freed slot opens a new connection")
    }

    @Test func aCancelledWaiterLeavesTheQueue() {
        var state = State(maximum: 1)
        _ = state.lease(1, "a")
        _ = state.lease(2, "b")
        _ = state.lease(3, "c")
        #expect(state.cancel(2) == "b")
        #expect(state.cancel(2) == nil, "only once")
        guard case .give(9, to: "c") = state.release(9) else {
            Issue.record("the waiter after the cancelled one is next")
            return
        }
        _ = state.release(9)
        #expect(state.takeIdle() == [9] && state.open == 0)
    }
}
