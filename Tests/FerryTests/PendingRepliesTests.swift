import Foundation
import Testing

@testable import Ferry

/// The requester's table of open requests, without a broker: every way a request ends forgets
/// it, and a reply nobody waits for is counted, not kept.
@Suite struct PendingRepliesTests {
    func reply(to id: String?) -> Event {
        var event = Event(source: "/t", type: "reply")
        event.causationid = id
        return event
    }

    @Test func aReplyFindsItsWaiterOrWaitsForIt() {
        var table = PendingReplies<Int>()
        let first = table.expect("a")
        let again = table.expect("a")
        #expect(first && !again, "one open request per id: a second would lose the first's waiter")
        guard case .wait = table.wait("a", 1) else {
            Issue.record("a waiter with no reply yet waits")
            return
        }
        guard case .resume(1, let got) = table.arrived(reply(to: "a")) else {
            Issue.record("the reply resumes waiter 1")
            return
        }
        #expect(got.causationid == "a")
        #expect(table.count == 0)

        _ = table.expect("b")  // the reply beats the waiter: kept for it
        guard case .keep = table.arrived(reply(to: "b")) else {
            Issue.record("kept until the waiter comes")
            return
        }
        guard case .resume(let early) = table.wait("b", 2) else {
            Issue.record("the waiter gets the kept reply")
            return
        }
        #expect(early.causationid == "b")
        #expect(table.count == 0 && table.lateReplies == 0)
    }

    @Test func endedRequestsLeaveNothingAndTheirRepliesAreLate() {
        var table = PendingReplies<Int>()
        _ = table.expect("timed-out")
        _ = table.wait("timed-out", 1)
        #expect(table.forget("timed-out") == 1, "the waiter is handed back to be resumed with the error")
        guard case .late = table.arrived(reply(to: "timed-out")) else {
            Issue.record("a reply after the timeout is late")
            return
        }

        _ = table.expect("cancelled")
        #expect(table.forget("cancelled") == nil, "cancelled before anyone waited")
        guard case .cancelled = table.wait("cancelled", 2) else {
            Issue.record("a waiter that comes after must not wait")
            return
        }

        _ = table.expect("twice")
        _ = table.arrived(reply(to: "twice"))
        guard case .late = table.arrived(reply(to: "twice")) else {
            Issue.record("a second reply is late")
            return
        }
        guard case .late = table.arrived(reply(to: nil)) else {
            Issue.record("a reply naming no command is late")
            return
        }
        guard case .late = table.arrived(reply(to: "never-asked")) else {
            Issue.record("a reply to another's command is late")
            return
        }
        #expect(table.forget("twice") == nil)
        #expect(table.count == 0)
        #expect(table.lateReplies == 4)
    }
}
